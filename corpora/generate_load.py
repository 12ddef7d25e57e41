"""Generate rnntool's electricity-load series (corpora/load/), for `rnntool train forecast`.

A synthetic hourly series of a town's electricity demand and its outdoor
temperature, made up here from a few hand-chosen curves and random noise;
nothing is copied from other sources or measured anywhere. Each line is one
hour, comma-separated, after a header line:

    hour,weekday,temperature,demand
    0,0,3.1,702.4

- hour: the hour of the day, 0-23;
- weekday: 0 (Monday) to 6 (Sunday);
- temperature: degrees Celsius, a slow seasonal drift (the series starts in
  late winter and warms towards spring), a daily cycle peaking in the
  afternoon, and weather that wanders for days (a random walk pulled back to
  the season's mean);
- demand: megawatts, the quantity to forecast. A base load, a daily profile
  (a low at night, a morning rise, a dip at midday and an evening peak), a
  weekly one (weekends lower and later), heating that grows as the
  temperature drops below 16 degrees, slowly wandering noise (an AR(1)
  process) and a little independent noise on every hour.

Seasonality (daily and weekly) and the temperature make the next day's
demand far more predictable than by repeating the last value, which is what
`rnntool train forecast` compares its model with.

Output
------
- train.csv: 16 weeks (2688 hours), to train on (its last part is the
  held-out validation part in training);
- test.csv: the 4 weeks that follow (672 hours), for `rnntool eval` and
  `rnntool predict`.

Regenerate with `python corpora/generate_load.py [--out DIR] [--seed N]` (default: load/
beside this script); the same seed gives byte-identical files.
"""

import math
import random
from pathlib import Path

from generating import output_folder

# Settings

SEED = 20240717
DEFAULT_OUT = Path(__file__).resolve().parent / "load"
SPLITS = (("train", 16 * 7 * 24), ("test", 4 * 7 * 24))

BASE_LOAD = 520.0            # MW
HEATING_START = 16.0         # degrees: below it, heating adds load
HEATING_PER_DEGREE = 11.0    # MW per degree below HEATING_START
DRIFT = 0.97                 # AR(1) coefficient of the slow demand noise
DRIFT_NOISE = 4.0            # MW, the slow noise's innovation
HOURLY_NOISE = 6.0           # MW, independent noise on every hour

# Daily demand profiles (MW above the base load, hour 0 to 23), drawn by hand.
WORKDAY = [-40, -55, -62, -66, -63, -45, 10, 85, 120, 110, 96, 90,
           80, 82, 88, 92, 110, 150, 175, 160, 130, 90, 40, -10]
WEEKEND = [-30, -48, -58, -64, -66, -62, -45, -10, 30, 62, 80, 88,
           90, 84, 76, 72, 80, 112, 140, 135, 112, 80, 35, -8]
WEEKEND_FACTOR = 0.9         # weekends draw less overall


def temperatures(rng, hours):
    """Hourly temperatures: season, daily cycle and wandering weather."""
    weather = 0.0
    values = []
    for t in range(hours):
        day = t / 24.0
        season = 1.5 + 12.0 * day / 140.0         # from late winter towards spring
        daily = 4.0 * math.cos(2 * math.pi * ((t % 24) - 15) / 24.0)
        weather = 0.985 * weather + rng.gauss(0.0, 0.45)
        values.append(season + daily + weather)
    return values


def demands(rng, temps):
    """Hourly demand from the calendar, the temperature and noise."""
    drift = 0.0
    values = []
    for t, temp in enumerate(temps):
        hour, weekday = t % 24, (t // 24) % 7
        weekend = weekday >= 5
        profile = (WEEKEND if weekend else WORKDAY)[hour]
        heating = HEATING_PER_DEGREE * max(0.0, HEATING_START - temp)
        drift = DRIFT * drift + rng.gauss(0.0, DRIFT_NOISE)
        load = BASE_LOAD + profile + heating + drift + rng.gauss(0.0, HOURLY_NOISE)
        values.append(load * (WEEKEND_FACTOR if weekend else 1.0))
    return values


def main():
    out, seed = output_folder(__doc__, DEFAULT_OUT, SEED)
    rng = random.Random(seed)
    hours = sum(n for _, n in SPLITS)
    temps = temperatures(rng, hours)
    loads = demands(rng, temps)
    start = 0
    for name, count in SPLITS:
        path = out / f"{name}.csv"
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("hour,weekday,temperature,demand\n")
            for t in range(start, start + count):
                f.write(f"{t % 24},{(t // 24) % 7},{temps[t]:.1f},{loads[t]:.1f}\n")
        print(f"wrote {count} hours to {path}")
        start += count


if __name__ == "__main__":
    main()
