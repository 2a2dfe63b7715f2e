# Sourced by the dev/ scripts: exports JAVA_HOME pointing at a JDK >= 21.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK under /usr/lib/jvm.
java_major() { # $1 = a java binary; prints its feature version, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
select_jdk() {
  local want=21 best="" best_v=0 candidate v
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then
    v="$(java_major "$JAVA_HOME/bin/java")"
    if [[ -n "$v" && "$v" -ge "$want" ]]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for candidate in /usr/lib/jvm/*/; do
    candidate="${candidate%/}"
    [[ -x "$candidate/bin/javac" && ! -L "$candidate" ]] || continue
    v="$(java_major "$candidate/bin/java")"
    if [[ -n "$v" && "$v" -ge "$want" && "$v" -gt "$best_v" ]]; then best="$candidate"; best_v="$v"; fi
  done
  if [[ -z "$best" ]]; then
    echo "error: no JDK >= $want found: set JAVA_HOME to one, or install one under /usr/lib/jvm" >&2
    return 1
  fi
  echo "$best"
}
JAVA_HOME="$(select_jdk)" || exit 1
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
