# syntax=docker/dockerfile:1
#
# ThreadLab: the Slack bot with its sandbox (the zygote runs as a child of the bot).
#
#   docker build -t threadlab .
#   docker run --rm threadlab doctor              # which sandbox layers this container gives
#   docker run -d --env-file .env -v threadlab-data:/data -p 127.0.0.1:9464:9464 threadlab
#
# Keeping the sandbox's layers in a container (see ../shared/SANDBOX.md, "Where the host
# cannot give every layer", and docs/operator.md). Docker's default seccomp and AppArmor
# profiles refuse unshare(2), mount(2) and pivot_root(2), so inside a plain container the
# sandbox has no namespaces and no read-only jail. Two ways to run it:
#
# (a) One container whose jobs get the namespaces and the jail:
#       docker run --user 0:0 --cap-drop ALL \
#         --cap-add SYS_ADMIN --cap-add SETUID --cap-add SETGID --cap-add CHOWN \
#         --cap-add FOWNER --cap-add DAC_OVERRIDE --cap-add KILL \
#         --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#         --memory 10g --pids-limit 512 ...
#     The user is root because Docker (and Kubernetes) grant added capabilities to uid 0
#     only; a non-root user keeps none of them. Each job still drops to uid 65534
#     (THREADLAB_SANDBOX_UID) inside its own namespaces, under Landlock and a seccomp
#     filter. SYS_ADMIN is for unshare, mount and pivot_root; SETUID/SETGID for the drop;
#     CHOWN/FOWNER to hand the work dir to that uid; KILL to stop jobs of another uid.
#     Prefer rootless Docker or userns-remap, so that this root is not the host's; the
#     kernel then refuses a fresh /proc while Docker masks parts of /proc, which
#     `--security-opt systempaths=unconfined` lifts. Per-job memory cgroups need a
#     writable /sys/fs/cgroup, which Docker gives only to --privileged containers: jobs
#     fall back to RLIMIT_DATA and the container's --memory and --pids-limit bound them
#     all together.
# (b) The SANDBOX.md layout: a separate executor container with no secrets, run with
#       --network none --read-only --tmpfs /tmp --pids-limit 512 --memory 10g \
#       --cap-drop ALL --security-opt no-new-privileges (and the image's non-root user),
#     where the zygote keeps rlimits, Landlock, seccomp and the uid it was given. The
#     current code starts the zygote as a child of the bot; an executor reached over a
#     socket is future work, so today (b) is the target layout, not a working one.
#
# The image's default (non-root, Docker's profiles) gives jobs rlimits, Landlock (kernel
# 5.13+) and the seccomp filter. With neither namespaces nor Landlock the bot refuses
# untrusted code unless THREADLAB_SANDBOX_ALLOW_UNISOLATED=true; `threadlab doctor`
# lists what a container gives before any code runs.

FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# A venv at the path it keeps in the runtime stage: its scripts name their interpreter
# by absolute path, and both stages share the base image's /usr/local/bin/python3.11.
RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so a change to the code reuses them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/venv/bin/pip install --requirement requirements.txt

COPY README.md ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY sandbox/ sandbox/
RUN /opt/venv/bin/pip install --no-deps .


FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="ThreadLab" \
      org.opencontainers.image.description="On-prem Slack bot for data analysis with a sandboxed Python executor" \
      org.opencontainers.image.licenses="Apache-2.0"

# fonts-wqy-microhei: charts render Chinese text; fontconfig: matplotlib finds it;
# libseccomp2: pyseccomp loads it for the jobs' system-call filter; git: the code history
# commits every run's plan and code; tini: reaps the jobs' orphans and forwards SIGTERM,
# which the bot as PID 1 would do neither of.
# Versions are not pinned: Debian drops superseded versions from its mirrors on each
# security update, and the base image's tag already fixes the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-wqy-microhei \
        fontconfig \
        git \
        libseccomp2 \
        tini \
    && rm -rf /var/lib/apt/lists/*

# Home is /data, the one writable place besides /tmp, so nothing expects a home on a
# read-only root.
RUN groupadd --system --gid 10001 threadlab \
    && useradd --system --uid 10001 --gid threadlab --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin threadlab \
    && mkdir -p /data/data /opt/threadlab/mplconfig \
    && chown -R threadlab:threadlab /data /opt/threadlab/mplconfig \
    && chmod 700 /data /data/data

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/opt/threadlab/mplconfig \
    THREADLAB_DATA_DIR=/data/data \
    THREADLAB_DB_PATH=/data/threadlab.db \
    THREADLAB_METRICS_HOST=0.0.0.0

# Numeric, so that Kubernetes' runAsNonRoot can check it without the image's passwd file.
USER 10001:10001

# The font list is built now, as the user that reads it, so no process scans every font
# at start-up; failing here when matplotlib cannot see the CJK font beats charts with
# empty boxes later. (The sandbox keeps its own copy under THREADLAB_DATA_DIR, built
# once per volume.)
RUN python -c "import matplotlib.font_manager as fm; assert any('WenQuanYi' in f.name for f in fm.fontManager.ttflist), 'matplotlib does not see the CJK font'"

WORKDIR /data
VOLUME ["/data"]

# 9464: Prometheus metrics, /healthz and /readyz (THREADLAB_METRICS_PORT). They listen on
# every address of the container's own network namespace (THREADLAB_METRICS_HOST above):
# published ports, kubelet probes and Prometheus all arrive from outside its loopback.
# 3000: Slack events in HTTP mode only (THREADLAB_SLACK_HTTP_PORT); Socket Mode needs none.
EXPOSE 9464 3000

# Alive means the metrics server answers /healthz; the start period covers the zygote's
# first start (imports, and the sandbox's font cache on a new volume).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + (os.environ.get('THREADLAB_METRICS_PORT') or '9464') + '/healthz', timeout=4)"]

ENTRYPOINT ["tini", "--", "threadlab"]
CMD ["serve"]
