"""Commands in processes of their own without each paying for Python's start-up: a server
process that has imported torch and rnntool once forks a real child for each command
(``Command``, ``run_forked``); for tests of signals, pipes, limits and exits that need a
process but not a fresh interpreter."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types

# --- commands in processes of their own, without each paying for Python's start-up --------
#
# A fresh `python -m rnntool` spends seconds loading torch, torch._dynamo (which torch loads
# when the first model is built) and NLTK, and about a second unloading them at exit, around
# work that takes a fraction of that here. So one server process (for the whole session)
# loads them once and forks a child for each command: a process of its own, with the
# test's descriptors as its stdin, stdout and stderr, its own signals and limits, which runs
# rnntool's __main__ as `python -m rnntool ARGS` does and ends through the interpreter's
# normal exit (stdout flushed at exit, its failure reported, as in a fresh process). What
# happens before rnntool's first line (Python's start-up: the locale, arguments decoded from
# bytes, a descriptor closed before start) still needs a fresh process (run_cli).
# test_reliability, test_errors, test_adversarial, test_reports, test_fuzz and
# test_distributed use it.

SERVER = r"""
import gc, json, os, pkgutil, resource, runpy, signal, socket, sys

import rnntool
for module in pkgutil.walk_packages(rnntool.__path__, "rnntool."):
    if module.name != "rnntool.__main__":  # each child runs it afresh
        try:
            __import__(module.name)
        except Exception:  # (fails again in the child that needs it, as in a fresh process)
            pass
import torch._dynamo  # torch loads it when the first model or optimizer is built
gc.freeze()  # the children's garbage collections and teardown leave all this alone
requests = socket.socket(fileno=int(sys.argv[1]))
running = set()


def serve():
    # Answer the test until it hangs up; in a forked child, return the command to run.
    while True:
        message, fds, _, _ = socket.recv_fds(requests, 1 << 20, 3)
        if not message:  # the tests are over: end what a failed one left running
            for pid in running:
                os.kill(pid, signal.SIGKILL)
            sys.exit(0)
        request = json.loads(message)
        if "poll" in request:  # the child's exit status (as Popen's returncode), or None
            pid, status = os.waitpid(request["poll"], os.WNOHANG)
            requests.send(json.dumps(os.waitstatus_to_exitcode(status) if pid else None)
                          .encode())
            running.discard(pid)
            continue
        pid = os.fork()
        if pid == 0:
            requests.close()
            for target, fd in enumerate(fds):  # stdin, stdout, stderr
                os.dup2(fd, target)
                os.close(fd)
            return request
        for fd in fds:
            os.close(fd)
        running.add(pid)
        requests.send(str(pid).encode())


command = serve()
os.chdir(command["cwd"])
os.environ.clear()
os.environ.update(command["env"])
if command["limit"] is not None:  # a file-size limit, SIGXFSZ as it kills: rnntool ignores it
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (command["limit"], command["limit"]))
sys.argv = ["rnntool", *command["args"]]
runpy.run_module("rnntool", run_name="__main__", alter_sys=True)
"""

_server: list = []  # once the server runs: this process's end of the socket, the server


def _ask(request: dict, fds: list[int] = ()):
    """Send ``request`` (and descriptors) to the server, started on first use; its answer."""
    if not _server:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(theirs.fileno())],
                                  pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  env=dict(os.environ, OMP_NUM_THREADS="1"))
        theirs.close()  # the server ends when this process closes its end (or ends)
        atexit.register(ours.close)
        _server.extend([ours, server])
    socket.send_fds(_server[0], [json.dumps(request).encode()], list(fds))
    answer = _server[0].recv(1 << 16)
    assert answer, "the server that forks the commands has ended (its error is on stderr)"
    return json.loads(answer)


class Command:
    """``python -m rnntool ARGS`` in a process of its own, forked by the server above; of
    subprocess.Popen, what these tests use. Its stdin is /dev/null or ``input`` (bytes, in
    a pipe); its stdout a pipe (``.stdout``) or the given file; its stderr a file that
    ``communicate`` reads back. ``limit``: a file-size limit (RLIMIT_FSIZE) in bytes."""

    def __init__(self, *args, input: bytes | None = None, stdout=subprocess.PIPE, env=None,
                 cwd=None, limit: int | None = None):
        self.args = [str(arg) for arg in args]
        self.returncode = None
        self.stderr = tempfile.TemporaryFile()
        if input is None:
            stdin = os.open(os.devnull, os.O_RDONLY)
        else:
            stdin, write = os.pipe()
            assert len(input) < 65536, "more than a pipe holds"
            os.write(write, input)
            os.close(write)
        if stdout == subprocess.PIPE:
            read, out = os.pipe()
            self.stdout = os.fdopen(read, "rb", buffering=0)  # (select() sees what is unread)
        else:
            out, self.stdout = os.dup(stdout.fileno()), None
        full_env = dict(os.environ, RNNTOOL_LOG_INTERVAL="1000", OMP_NUM_THREADS="1")
        full_env.update(env or {})
        self.pid = _ask({"args": self.args, "env": full_env, "cwd": str(cwd or os.getcwd()),
                         "limit": limit}, [stdin, out, self.stderr.fileno()])
        os.close(stdin)
        os.close(out)

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = _ask({"poll": self.pid})
        return self.returncode

    def wait(self, timeout: float = 300) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # (until polled, a pid that ended is not reused)
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float = 300) -> tuple[bytes | None, bytes]:
        """Its stdout (if a pipe not yet closed) to the end, and its stderr, once it ended
        within ``timeout`` seconds; both are closed then."""
        deadline = time.monotonic() + timeout
        out = None
        if self.stdout and not self.stdout.closed:
            chunks = []
            while not chunks or chunks[-1]:  # to the end of the pipe
                left = max(0.0, deadline - time.monotonic())
                if not select.select([self.stdout], [], [], left)[0]:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                chunks.append(self.stdout.read(1 << 16))
            out = b"".join(chunks)
            self.stdout.close()
        self.wait(max(0.0, deadline - time.monotonic()))
        with self.stderr:
            self.stderr.seek(0)
            return out, self.stderr.read()


def run_forked(*args, **options):
    """``Command(*args)`` to its end; the result as run_cli gives it (returncode, stdout,
    stderr)."""
    process = Command(*args, **options)
    out, err = process.communicate()
    return types.SimpleNamespace(returncode=process.returncode, stdout=out, stderr=err)
