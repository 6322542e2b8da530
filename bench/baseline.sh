#!/usr/bin/env bash
# A built checkout of REV to bench against: the BASELINE of the sluice-baseline contender.
#
#   BASELINE=$(bench/baseline.sh 43f5cca) CONTENDERS=sluice,sluice-baseline node bench/macro/run.mjs
#
# Makes a detached git worktree of REV under a new temp dir, gives it node_modules (a symlink to
# this repository's when both package-lock.json files are identical, else `npm ci` there), builds
# it, and prints its path on stdout: the only thing on stdout, so $(...) captures it. The progress
# and the command that removes it again go to stderr.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: bench/baseline.sh REV   (a commit, tag or branch; prints the path of a built checkout)" >&2
  exit 2
fi
rev=$1
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}") || {
  echo "baseline: '$rev' is not a commit in $root" >&2
  exit 2
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-baseline-XXXXXX")
wt="$dir/sluice"
cleanup="git -C '$root' worktree remove --force '$wt' && rm -rf '$dir'"
# A failed step leaves nothing behind: no stray worktree registered in the repository.
trap 'echo "baseline: failed; removing $wt" >&2; git -C "$root" worktree remove --force "$wt" 2>/dev/null; rm -rf "$dir"' ERR

git -C "$root" worktree add --detach --quiet "$wt" "$commit" >&2
if [ -e "$root/node_modules" ] && cmp -s "$root/package-lock.json" "$wt/package-lock.json"; then
  # The real directory, not a link to a link: this checkout may be a worktree whose node_modules is one.
  modules=$(realpath "$root/node_modules")
  echo "baseline: package-lock.json identical: node_modules linked to $modules" >&2
  ln -s "$modules" "$wt/node_modules"
else
  echo "baseline: package-lock.json differs (or no node_modules here): npm ci in $wt" >&2
  # With the install scripts (a native msgpackr-extract); `prepare` builds too.
  (cd "$wt" && nice -n 10 npm ci --no-audit --no-fund --silent) >&2
fi
test -f "$wt/dist/main.js" || (cd "$wt" && nice -n 10 npm run --silent build) >&2
test -f "$wt/dist/main.js" || { echo "baseline: the build of $rev made no dist/main.js" >&2; false; }

trap - ERR
echo "baseline: $rev ($(git -C "$wt" rev-parse --short HEAD)) built in $wt" >&2
echo "baseline: remove it with: $cleanup" >&2
echo "$wt"
