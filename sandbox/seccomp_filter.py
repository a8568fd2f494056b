"""A system-call filter for the job process, loaded just before the untrusted code runs.

The namespaces, the jail, Landlock and the uid drop decide what a job can reach; this
filter takes away kernel interfaces that analysis code has no use for and that have
served, again and again, as ways out of sandboxes or into the kernel's least-tested
code: sockets, tracing other processes, new namespaces and mounts, eBPF, io_uring,
keyrings, userfaultfd, module loading and the like (see DENIED, group by group).

The default action is ALLOW and the filter is a deny list. An allow list would be
tighter, but every numpy, pandas or matplotlib release may start using a call nobody
listed, and the layers underneath already hold the boundary; the filter narrows the
kernel surface a job can attack when one of them has a flaw.

Denied calls fail with EPERM (clone3 with ENOSYS, see below) instead of killing the
process: code that merely probes, such as glibc's user lookups trying the nscd socket
first, falls back and carries on, and a program that insists gets a Python exception
the user can read instead of a silent death.

Import this module where the analysis stack is imported (the zygote): pyseccomp finds
and loads libseccomp.so.2 at import time, which may no longer be possible in a job after
its uid drop and Landlock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os

try:
    import pyseccomp
except (ImportError, OSError, RuntimeError):  # pyseccomp raises RuntimeError without libseccomp
    pyseccomp = None

# Fully denied everywhere (EPERM). Names this architecture does not have are skipped.
DENIED: tuple[str, ...] = (
    # Networking. The job's network namespace already has nothing to reach, but socket()
    # also opens netlink, packet, AF_ALG (kernel crypto) and vsock sockets, each a piece
    # of kernel code that has had exploitable bugs. socketpair stays allowed: asyncio and
    # multiprocessing build their pipes with it, and a connected pair of sockets can
    # reach nothing outside the process.
    "socket",
    # Reading or steering other processes' memory and registers.
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    # New namespaces (clone with namespace flags is handled below) and joining others':
    # inside a fresh user namespace a job would hold every capability again.
    "unshare",
    "setns",
    # Changing the view of the file system the jail has built, with the old and the new
    # mount APIs; chroot is the classic way out of a root one has not pivoted into.
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fspick",
    # Opening files by handle skips path lookup and with it the jail's boundaries (the
    # "shocker" container escape); name_to_handle_at is the half that mints handles.
    "open_by_handle_at",
    "name_to_handle_at",
    # Large kernel attack surfaces that analysis code never needs. io_uring also runs
    # operations (sockets and opens included) that no seccomp filter ever sees;
    # userfaultfd is a favourite tool for winning kernel races in exploits.
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    # Kernel keyrings are not isolated by namespaces: keys are shared per uid host-wide.
    "keyctl",
    "add_key",
    "request_key",
    # Host-wide administration. Each needs a capability the job does not have; denied
    # anyway so that a capability left by mistake still does not reach them.
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    # A new session would leave the job's process group, which the watchdog signals.
    "setsid",
)

# Allowed only in a restricted form, by argument (see _build):
# clone without namespace flags, clone3 not at all (ENOSYS), personality only to query.
NARROWED: tuple[str, ...] = ("clone", "clone3", "personality")

# One rule per flag: clone() fails if any of them is set, whatever else is.
_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    # CLONE_NEWTIME shares its bit with the exit signal in clone()'s flags, so the kernel
    # takes only unshare (denied above) and clone3 for it; no valid signal number has
    # this bit, so the rule rejects nothing real and keeps the list complete.
    0x00000080,  # CLONE_NEWTIME
)

# personality(0xffffffff) only reports the current persona; any other value changes it
# (ADDR_NO_RANDOMIZE turns off address randomisation for the programs a job starts).
_PERSONALITY_QUERY = 0xFFFFFFFF

# prctl options (linux/prctl.h) and the seccomp mode (linux/seccomp.h).
_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_PR_GET_NO_NEW_PRIVS = 39
_SECCOMP_MODE_FILTER = 2

# What libseccomp answers for a name it does not know (__NR_SCMP_ERROR).
_UNKNOWN_SYSCALL = -1

# Resolved at import, like the rest of the module, so that install() only makes calls.
_prctl = ctypes.CDLL(None, use_errno=True).prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_prctl.restype = ctypes.c_int


class SeccompUnavailable(RuntimeError):
    """install() was called where libseccomp or the kernel's seccomp filters are missing."""


@functools.cache
def available() -> bool:
    """Whether libseccomp loads and the kernel takes seccomp filters. Never raises.

    Call it once before the job's uid drop (the answer is cached): it probes the kernel
    and builds an empty filter, and installs nothing.
    """
    if pyseccomp is None:
        return False
    try:
        # A filter program at address 0 cannot be read: a kernel with seccomp filters
        # answers EFAULT (or EACCES, should it check for no_new_privs or CAP_SYS_ADMIN
        # first); a kernel without them answers EINVAL.
        if _prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, 0, 0, 0) == 0:
            return False  # nothing can have been installed from address 0
        if ctypes.get_errno() not in (errno.EFAULT, errno.EACCES):
            return False
        pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    except Exception:
        return False
    return True


def install() -> None:
    """Sets no_new_privs and loads the filter into every thread of the calling process.

    Irreversible, and inherited by every process the caller starts. Raises
    SeccompUnavailable where available() is False, OSError if the kernel refuses.
    """
    if not available():
        raise SeccompUnavailable(
            "seccomp filters are unavailable here (libseccomp.so.2 missing, or a kernel "
            "without CONFIG_SECCOMP_FILTER); see `threadlab doctor`"
        )
    # no_new_privs: nothing the job executes can gain privileges (setuid or file
    # capabilities), and it lets an unprivileged process load a filter at all. libseccomp
    # sets it too by default; set here and checked so it never depends on that default.
    if _prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(code)}")
    if _prctl(_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        raise OSError(0, "no_new_privs did not take effect")
    _build().load()


def _build() -> pyseccomp.SyscallFilter:
    lib = pyseccomp
    deny = lib.ERRNO(errno.EPERM)
    flt = lib.SyscallFilter(lib.ALLOW)
    flt.set_attr(lib.Attr.CTL_NNP, 1)
    # Every thread, not only the caller: a library may have started one before now.
    flt.set_attr(lib.Attr.CTL_TSYNC, 1)
    # The filter covers the native architecture only; a call through another one (on
    # x86-64: int 0x80 or the x32 numbers, each its own table) takes the bad-architecture
    # action.
    # Kill the whole process rather than libseccomp's default of only the thread;
    # a kernel too old for that keeps the default, which still never lets it through.
    with contextlib.suppress(OSError):
        flt.set_attr(lib.Attr.ACT_BADARCH, lib.KILL_PROCESS)

    def known(name: str) -> bool:
        return bool(lib.resolve_syscall(lib.Arch.NATIVE, name) != _UNKNOWN_SYSCALL)

    for name in DENIED:
        if known(name):  # e.g. the new mount API on an older libseccomp
            flt.add_rule(deny, name)

    # clone's flags are its first argument, except on s390, where they are its second.
    flags_arg = 1 if lib.system_arch() in (lib.Arch.S390, lib.Arch.S390X) else 0
    for flag in _NAMESPACE_FLAGS:
        flt.add_rule(deny, "clone", lib.Arg(flags_arg, lib.MASKED_EQ, flag, flag))
    # clone3 passes its flags in a struct in memory, which a filter cannot read. ENOSYS
    # ("this kernel has no clone3") makes glibc fall back to clone for threads and
    # posix_spawn, and that call's flags the rules above do see.
    if known("clone3"):
        flt.add_rule(lib.ERRNO(errno.ENOSYS), "clone3")

    flt.add_rule(deny, "personality", lib.Arg(0, lib.NE, _PERSONALITY_QUERY))
    return flt
