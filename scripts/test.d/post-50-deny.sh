#!/usr/bin/env bash
# Supply chain: `cargo deny check` against deny.toml (licences, bans, sources; advisories when
# the RustSec database can be fetched from GitHub, or a copy already on disk), then a scan of
# every file of the checkout (tracked or not, minus .gitignore'd ones) for credentials and AWS
# account ids. cargo-deny comes from pre-50-cargo-deny.sh.
#
# Allowed in the scan, because they are AWS's documented placeholders or plainly fake:
# AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, account ids 123456789012 and
# 000000000000, and the dummy local credentials "local"/"local" used against dynalite.
# data/raw/ (the Kaggle CSVs, tens of MB of numbers and names) is not scanned.
set -euo pipefail
source "$(dirname "$0")/../lib/env.sh"
cd "$ROOT"
deny="$MUSIC_ML_TOOLS/cargo/bin/cargo-deny"
[[ -x "$deny" ]] || { echo "post-50-deny: $deny is missing (run scripts/test.d/pre-50-cargo-deny.sh)" >&2; exit 1; }

log "cargo deny check licenses bans sources"
"$deny" --log-level error check licenses bans sources

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
if timeout 120 "$deny" --log-level error check advisories >"$out" 2>&1; then
    log "cargo deny check advisories: ok"
elif grep -q "failed to fetch advisory database" "$out"; then
    if compgen -G "$HOME/.cargo/advisory-dbs/*/crates" >/dev/null; then
        log "advisory database unreachable; checking against the copy on disk"
        "$deny" --log-level error check --disable-fetch advisories
    else
        log "SKIPPED cargo deny check advisories: the RustSec database (github.com) cannot be fetched from this network"
    fi
else
    cat "$out" >&2
    exit 1
fi

log "scanning the checkout for credentials and AWS account ids"
# Patterns, built so that this file does not match itself.
key_id='(AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}'
secret='aws_secret_access_key|AWS_SECRET_ACCESS_KEY|SecretAccessKey'
secret_value='("|'"'"'|=|: )[A-Za-z0-9/+]{40}("|'"'"'|$)'
arn_account='arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:'
allowed='AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY|:123456789012:|:000000000000:'
# Self-check: the patterns do find what they are for (a scan that cannot fail proves nothing).
sample_key="AKIA""ABCDEFGHIJKLMNOP"
sample_arn="arn:aws:iam::""987654321098"":role/x"
grep -Eq "$key_id" <<<"$sample_key" && grep -Eq "$arn_account" <<<"$sample_arn" \
    || { echo "post-50-deny: the secret patterns do not match their samples" >&2; exit 1; }

found=0
while IFS= read -r -d '' file; do
    [[ -f "$file" ]] || continue
    hits="$(grep -IEn -e "$key_id" -e "$arn_account" -- "$file" | grep -Ev "$allowed" || true)"
    secret_hits="$(grep -IEn -e "$secret" -- "$file" | grep -E "$secret_value" | grep -Ev "$allowed" || true)"
    if [[ -n "$hits$secret_hits" ]]; then
        printf '%s:\n%s%s\n' "$file" "$hits" "$secret_hits" >&2
        found=1
    fi
done < <(git ls-files -z --cached --others --exclude-standard -- . ':!:data/raw')
if (( found )); then
    echo "post-50-deny: credentials or account ids found (above); remove them" >&2
    exit 1
fi
log "no credentials or account ids found"
