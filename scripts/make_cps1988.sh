#!/usr/bin/env bash
# Makes the CPS1988 dataset file from R's AER::CPS1988 (Debian r-cran-aer).
#
#   scripts/make_cps1988.sh [-o OUT.h5] [--cache DIR] [--dett PATH] [--seed S]
#   defaults: -o build/data/cps1988.h5, --cache build/cache, --dett build/dett, --seed 0
#
# The recipe:
#   1. installs r-base-core and r-cran-aer with apt-get if they are missing;
#   2. Rscript writes DIR/cps1988.csv from data("CPS1988", package = "AER")
#      (28,155 men aged 18-70 with positive annual income, March 1988 Current
#      Population Survey; Bierens and Ginther 2001): the label high_wage is
#      "yes" when wage (weekly, USD) is strictly above the sample median, and
#      the wage column itself is dropped (it would give the label away); the
#      other columns stay: education, experience (numeric), ethnicity
#      (cauc/afam), smsa, region, parttime (categorical);
#   3. dett data csv DIR/cps1988.csv --label high_wage --positive yes
#      --attr ethnicity --attr-positive afam (so a = 1 for African-American
#      men); the attribute column stays a feature; val and test are 20 % of
#      every group each (stratified), numeric columns standardised with the
#      train statistics, categorical ones one-hot.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/data/cps1988.h5"
cache="$root/build/cache"
dett="$root/build/dett"
seed=0
need() { [ "$2" -ge 2 ] || { echo "make_cps1988: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) need "$1" $#; out="$2"; shift 2 ;;
    --cache) need "$1" $#; cache="$2"; shift 2 ;;
    --dett) need "$1" $#; dett="$2"; shift 2 ;;
    --seed) need "$1" $#; seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make_cps1988: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$dett" ] || { echo "make_cps1988: $dett not found: build first (scripts/setup.sh)" >&2; exit 1; }

missing=""
for p in r-base-core r-cran-aer; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "make_cps1988: installing:$missing" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$cache" "$(dirname "$out")"
csv="$cache/cps1988.csv"
# prints "<AER version> <median wage>" on its last line
info="$(Rscript --vanilla - "$csv" <<'RSCRIPT'
args <- commandArgs(trailingOnly = TRUE)
data("CPS1988", package = "AER")
d <- CPS1988
m <- median(d$wage)
d$high_wage <- ifelse(d$wage > m, "yes", "no")
d <- d[, c("high_wage", "education", "experience", "ethnicity", "smsa", "region", "parttime")]
tmp <- paste0(args[1], ".tmp")
write.csv(d, tmp, row.names = FALSE)
if (!file.rename(tmp, args[1])) stop("cannot rename ", tmp)
cat(as.character(packageVersion("AER")), m, "\n")
RSCRIPT
)"
read -r aer median <<< "$(echo "$info" | tail -n 1)"
echo "make_cps1988: wrote $csv (AER $aer, median wage $median)" >&2

"$dett" data csv "$csv" -o "$out" --label high_wage --positive yes \
  --attr ethnicity --attr-positive afam --seed "$seed" --name cps1988 \
  --source "R package AER $aer (Debian r-cran-aer), data CPS1988: Current Population Survey, March 1988 (Bierens and Ginther 2001)" \
  --license "GPL-2 | GPL-3 (R package AER)" \
  --note "CPS1988 by scripts/make_cps1988.sh: high_wage = yes if wage > the sample median ($median USD/week), wage dropped; a = 1 for ethnicity afam."
