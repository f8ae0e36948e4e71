"""The one place the lab starts processes: argv lists only, every command logged."""

import os
import shlex
import subprocess
import time
from typing import Dict, List, Optional, Sequence


class LabError(Exception):
    """A failure that stops the lab; the message is meant for the user as is."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class Runner:
    """Runs commands, optionally inside a named network namespace (`ip netns exec`)."""

    def __init__(self, log_path: Optional[str] = None, verbose: bool = False):
        self.log_path = log_path
        self.verbose = verbose
        self._log = open(log_path, "a", encoding="utf-8") if log_path else None

    def close(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def log(self, text: str) -> None:
        if self._log:
            self._log.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            self._log.flush()
        if self.verbose:
            print(f"lab: {text}", flush=True)

    @staticmethod
    def wrap(argv: Sequence[str], ns: Optional[str]) -> List[str]:
        return (["ip", "netns", "exec", ns] if ns else []) + list(argv)

    def run(self, argv: Sequence[str], ns: Optional[str] = None, check: bool = True,
            timeout: Optional[float] = 60, env: Optional[Dict[str, str]] = None,
            ) -> subprocess.CompletedProcess:
        full = self.wrap(argv, ns)
        self.log("$ " + " ".join(shlex.quote(a) for a in full))
        try:
            cp = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env,
                                errors="replace")
        except FileNotFoundError:
            raise LabError(f"'{full[0]}' is not installed (needed for: {' '.join(full[:4])})") from None
        except subprocess.TimeoutExpired as e:
            self.log(f"  timed out after {timeout} s")
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            cp = subprocess.CompletedProcess(full, 124, out, err + f"\n(timed out after {timeout} s)")
        if cp.returncode != 0:
            self.log(f"  exit {cp.returncode}: {cp.stderr.strip()[:500]}")
        if check and cp.returncode != 0:
            raise LabError(f"command failed (exit {cp.returncode}): {' '.join(full)}\n"
                           f"  {cp.stderr.strip() or cp.stdout.strip()}")
        return cp

    def popen(self, argv: Sequence[str], ns: Optional[str], log_file: str,
              env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
        full = self.wrap(argv, ns)
        self.log("$ " + " ".join(shlex.quote(a) for a in full) + f" > {log_file} &")
        out = open(log_file, "ab")
        try:
            return subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    stdin=subprocess.DEVNULL)
        finally:
            out.close()


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_pid(pid: int, grace_s: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL after grace_s; True when the process is gone."""
    import signal
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        end = time.monotonic() + wait
        while time.monotonic() < end:
            if not pid_alive(pid):
                return True
            time.sleep(0.05)
    return not pid_alive(pid)
