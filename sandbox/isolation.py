"""Which isolation layers a run gets: what the operator asked for, met with what the
host offers. Probed once per executor; `threadlab doctor` shows the same answer."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sandbox import jail as jail_paths
from sandbox import landlock, namespaces, privileges, seccomp_filter


@dataclass(frozen=True)
class Isolation:
    """What the operator asks for (all on by default; settings turn layers off only
    for hosts that cannot give them, and `doctor` says what that costs)."""

    namespaces: bool = True
    jail: bool = True  # minimal read-only root through the mount namespace
    workdir_tmpfs: bool = True  # size- and inode-limited work dir
    landlock: bool = True
    seccomp: bool = True
    drop_to_uid: int | None = privileges.DEFAULT_UID  # None: stay the bot's own user
    drop_to_gid: int = privileges.DEFAULT_GID
    # Run untrusted code even where neither a mount-namespace jail nor Landlock can
    # hide the host's files. Off unless an operator decides otherwise.
    allow_unisolated: bool = False


@dataclass(frozen=True)
class Layers:
    """What a run on this host actually gets."""

    namespace_flags: int
    jail: bool
    workdir_tmpfs: bool
    landlock: bool
    seccomp: bool
    uid: int | None
    gid: int | None

    @property
    def hides_host_files(self) -> bool:
        """Whether the bot's files are out of a job's reach (a jail or Landlock)."""
        return self.jail or self.landlock


def resolve(wanted: Isolation, work_root: str | None = None) -> Layers:
    """The layers for jobs whose work dirs live under `work_root`."""
    flags = namespaces.usable_flags() if wanted.namespaces else 0
    has_mount_ns = bool(flags & namespaces.CLONE_NEWNS)
    root = os.geteuid() == 0
    # Mounting needs CAP_SYS_ADMIN in the namespace owning the mounts: root here.
    jail = wanted.jail and has_mount_ns and root
    dropping = wanted.drop_to_uid is not None and privileges.can_drop()
    if dropping and not jail:
        # Without the jail's fresh directories the job sees the host's: after the drop
        # it must still reach the interpreter (lazy imports) and its own work dir.
        needed = [*jail_paths.interpreter_paths(), *([work_root] if work_root else [])]
        dropping = all(privileges.reachable_by_others(p) for p in needed)
    return Layers(
        namespace_flags=flags,
        jail=jail,
        workdir_tmpfs=wanted.workdir_tmpfs and root,
        landlock=wanted.landlock and landlock.abi_version() > 0,
        seccomp=wanted.seccomp and seccomp_filter.available(),
        uid=wanted.drop_to_uid if dropping else None,
        gid=wanted.drop_to_gid if dropping else None,
    )
