# Sourced by the shell tests whose counters or churn must be their own:
#   . "$(dirname "$0")/support/own_netns.sh"; own_netns "WHY" "$0" "$@"
# re-runs the test in a fresh network namespace with loopback up (root), or
# exits 77 (skipped) saying WHY it needs one.
own_netns() {
  local why=$1; shift
  if [ "${SOCKCHURN_IN_NETNS:-}" != 1 ]; then
    if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
      echo "SKIP: needs root for a private network namespace ($why)"
      exit 77
    fi
    SOCKCHURN_IN_NETNS=1 exec unshare -n bash "$@"
  fi
  ip link set lo up || exit 1
}
