"""Click options made from the settings dataclasses: each setting's option comes from its
field's declaration in ``rnntool.settings`` (default, help, metavar, bounds), so the two
cannot drift apart.

Not here: the options that are not settings (input files, --output, --resume, --dev, ...),
which the commands declare themselves (``template`` and each kind's module).
"""

from __future__ import annotations

import dataclasses

import click

from rnntool.cli.common import DURATION, RANDOM_SEED
from rnntool.declarations import SETTING, settings_fields


def option_type(field: dataclasses.Field):
    """The click type of a setting's option (None: a plain string)."""
    spec = field.metadata[SETTING]
    if spec.choices is not None:  # the default offered first
        first = [] if field.default is None else [field.default]
        return click.Choice(first + [c for c in spec.choices if c != field.default])
    if spec.duration:
        return DURATION
    if spec.seed:
        return RANDOM_SEED
    if spec.minimum is None and spec.maximum is None:
        return None
    number = str(field.type).split("|")[0].strip()  # the annotation, a string: "int | None"
    bounded = {"int": click.IntRange, "float": click.FloatRange}[number]
    return bounded(min=spec.minimum, max=spec.maximum, min_open=spec.min_open,
                   max_open=spec.max_open)


def setting_option(field: dataclasses.Field, callback=None):
    """The click option of one setting: ``--name`` (``--name/--off`` for an on/off pair),
    with its default shown unless it is None or an on-switch's."""
    spec = field.metadata[SETTING]
    name = "--" + field.name.replace("_", "-")
    if spec.flag:
        return click.option(name, is_flag=True, help=spec.help)
    if spec.off is not None:
        return click.option(f"{name}/--{spec.off}", default=field.default, show_default=True,
                            help=spec.help)
    extra = {"type": option_type(field), "metavar": spec.metavar, "callback": callback}
    if field.default is not None:
        extra["show_default"] = True
    return click.option(name, default=field.default, help=spec.help,
                        **{key: value for key, value in extra.items() if value is not None})


def stacked(options):
    """One decorator applying ``options`` (decorators) so that they appear in that order."""
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def setting_options(cls, *names: str, callbacks: dict | None = None):
    """A decorator adding the options of the settings ``names`` of settings class ``cls``,
    in that order; ``callbacks``: click callbacks by setting name (parsing a value)."""
    fields = {field.name: field for field in settings_fields(cls)}
    return stacked([setting_option(fields[name], (callbacks or {}).get(name))
                    for name in names])


def missing_options(command: click.Command, cls) -> list[str]:
    """The settings of ``cls`` offered on the command line that ``command`` has no option
    for (a command must offer every one)."""
    given = {param.name for param in command.params}
    return [field.name for field in settings_fields(cls)
            if field.metadata[SETTING].option and field.name not in given]
