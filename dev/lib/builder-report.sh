# The builder Job's script (busybox sh) in dev/demo and NodeE2EIT: reports the names of the
# variables the container received and one SHA-256 over their values, never a value, through the
# termination message. The digest is over NAME=value\n for each name in byte order. Variables that
# the runtime, the kubelet or the shell set are left out; a POSIX shell drops variables whose names
# are not shell names, so only shell names are reported (and only those reach eval).
set -eu
names=$(awk 'BEGIN { for (k in ENVIRON) print k }' |
  grep -Ev '^(HOME|HOSTNAME|PATH|PWD|SHLVL|KUBERNETES_[A-Z0-9_]*)$' | LC_ALL=C sort || true)
digest=$(for n in $names; do eval "v=\${$n}"; printf '%s=%s\n' "$n" "$v"; done | sha256sum | cut -d' ' -f1)
printf 'names=%s\nsha256=%s\n' "$(echo $names | tr ' ' ',')" "$digest" >/dev/termination-log
