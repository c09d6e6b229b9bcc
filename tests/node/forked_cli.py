"""``onelist node …`` commands, each in a process of its own, forked from one Python that has
already imported the node and loaded jieba's dictionary.

A command run this way is the same ``onelist.cli.main(argv)`` that ``python -m onelist.cli``
runs, in a real process that can be killed at any instruction; it only skips the second or two
that every new interpreter spends importing web3, SQLAlchemy, aiohttp and the projections and
loading jieba. Tests that start many commands (the indexer killed at ten points) use it; each of
them still runs the real ``python -m onelist.cli`` too.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from onelist.build.compiler import repo_root

# The server: reads one JSON request a line, answers one line. {"run": argv, "stdout": path,
# "stderr": path} forks a child that runs the command (answer: its pid); {"kill": true} kills that
# child with SIGKILL and reaps it, {"wait": true} reaps it (answer: its exit code, as
# subprocess gives it). The child is reaped only when asked, so its pid is never reused before.
_SERVER = r"""
import json, os, signal, sys, traceback

from onelist import cli
import node.commands
import node.service

node.service.warm_up_search_terms()
answers = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
answers.write("ready\n")
answers.flush()
child = None
for line in sys.stdin:
    request = json.loads(line)
    if "run" in request:
        child = os.fork()
        if child == 0:
            code = 1
            try:
                answers.close()
                for fd, path in ((0, os.devnull), (1, request["stdout"]), (2, request["stderr"])):
                    flags = os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                    os.dup2(os.open(path, flags, 0o600), fd)
                code = cli.main(request["run"])
            except SystemExit as exc:  # as the interpreter ends on it
                if exc.code is None or isinstance(exc.code, int):
                    code = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        answers.write(f"{child}\n")
    else:
        if request.get("kill"):
            os.kill(child, signal.SIGKILL)
        _, status = os.waitpid(child, 0)
        answers.write(f"{os.waitstatus_to_exitcode(status)}\n")
    answers.flush()
"""


class ForkedCli:
    """The forking server, for ``with``; one command runs at a time."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.pid: int | None = None
        self._runs = 0
        self._log = (folder / "forked-cli-server.log").open("w")
        self._server = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            cwd=repo_root(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        assert self._answer() == "ready", self._server_log()

    def _server_log(self) -> str:
        return (self.folder / "forked-cli-server.log").read_text(errors="replace")[-3000:]

    def _answer(self, request: dict[str, object] | None = None) -> str:
        assert self._server.stdin is not None and self._server.stdout is not None
        if request is not None:
            self._server.stdin.write(json.dumps(request) + "\n")
            self._server.stdin.flush()
        answer = self._server.stdout.readline()
        assert answer, f"the forking server died: {self._server_log()}"
        return answer.strip()

    def start(self, *argv: str) -> int:
        """Fork ``onelist *argv``; returns its pid (its output: :meth:`output`)."""
        assert self.pid is None, "one command at a time"
        self._runs += 1
        self.pid = int(
            self._answer(
                {"run": list(argv), "stdout": str(self._path(1)), "stderr": str(self._path(2))}
            )
        )
        return self.pid

    def _path(self, fd: int) -> Path:
        return self.folder / f"forked-cli-{self._runs}.{'out' if fd == 1 else 'err'}"

    def running(self) -> bool:
        """Whether the command still runs (it is not reaped before :meth:`wait` or :meth:`kill`)."""
        assert self.pid is not None
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")

    def kill(self) -> int:
        """SIGKILL the command (if it has not exited yet); returns its exit code."""
        return self._reap(kill=True)

    def wait(self) -> int:
        return self._reap(kill=False)

    def _reap(self, kill: bool) -> int:
        assert self.pid is not None
        code = int(self._answer({"kill": kill} if kill else {"wait": True}))
        self.pid = None
        return code

    def output(self) -> tuple[str, str]:
        """The last command's stdout and stderr."""
        return self._path(1).read_text(errors="replace"), self._path(2).read_text(errors="replace")

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run ``onelist *argv`` to its end, as ``subprocess.run`` would."""
        self.start(*argv)
        code = self.wait()
        stdout, stderr = self.output()
        return subprocess.CompletedProcess(["onelist", *argv], code, stdout, stderr)

    def close(self) -> None:
        if self.pid is not None:
            self.kill()
        assert self._server.stdin is not None
        self._server.stdin.close()
        try:
            self._server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._server.send_signal(signal.SIGKILL)
            self._server.wait()
        self._log.close()

    def __enter__(self) -> ForkedCli:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
