"""Child processes that end with the process that started them, even when it is killed -9.

`warden up` starts its children in sessions of their own, so a Ctrl-C reaches only it and it
stops them in order. A SIGKILL gives it no chance to: on Linux each child asks the kernel
for a SIGTERM when its parent dies (PR_SET_PDEATHSIG), which gunicorn, the workers and
nats-server all answer with their own clean stop. Elsewhere this is a no-op.
"""

import ctypes
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1


def die_with_parent():
    """A Popen preexec_fn (runs in the child between fork and exec) for the current process.

    The kernel sends the signal when the *thread* that forked exits, not the process, so only
    children started from the main thread get it (all of `warden up`'s); one started from
    another thread (a test's chaos thread restarting a process) would die with that thread.
    """
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before prctl: nobody will signal us
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec
