#!/usr/bin/env bash
# make demo: the main job on the embedded default, on the real samples shipped in data/samples.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-demo/stswatch.duckdb}
S=data/samples
mkdir -p "$(dirname "$DB")"
rm -f "$DB" "$DB.wal"
st() { .venv/bin/stswatch "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Ingest real AIS samples (NOAA MarineCadastre CSV, Danish Maritime Authority CSV, raw NMEA, GFW tracks)"
st ingest --db "$DB" --source noaa-marinecadastre "$S/AIS_2022_01_03_first99999.csv.gz"
st ingest --db "$DB" --source dma "$S/dma_gothenburg_2017-07-05.csv"
st ingest --db "$DB" --source aishub-nmea "$S/ais-nmea-sample.log.gz"
st ingest --db "$DB" --source uscg-nmea "$S/typeexamples.nmea" "$S/tagblock.nmea"
st ingest --db "$DB" --source gfw-tracks "$S/416000000.json" "$S/263576000.json"

say "2. Ingest the same files again: nothing is added twice"
st ingest --db "$DB" --quiet --source noaa-marinecadastre "$S/AIS_2022_01_03_first99999.csv.gz"
st info --db "$DB" --json | .venv/bin/python -c 'import json, sys; n = json.load(sys.stdin)["positions"]; print(f"still {n:,} positions")'

say "3. What is in the store"
st info --db "$DB"

say "4. A tanker in the NOAA sample that was sanctioned later (OFAC, EU, AU, NZ): VIKTOR BAKAEV"
st vessels --db "$DB" --search "VIKTOR BAKAEV"
st track 636015565 --db "$DB" --format table | head -n 12
