#!/usr/bin/env bash
# make demo: the main job on the embedded default, on the real samples shipped in data/samples.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-demo/stswatch.duckdb}
S=data/samples
mkdir -p "$(dirname "$DB")"
rm -f "$DB" "$DB.wal"
export COLUMNS=${COLUMNS:-160}  # wide tables when the output is not a terminal
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

say "5. A simulated East China Sea scenario (the real samples carry no STS); some tankers use UN 1718 identities"
st simulate --seed 7 --vessels 40 --days 2 --out demo/sim-east-china-sea \
  --sanctioned-from data/lists/un_1718_designated_vessels_extracted.csv
st ingest --db "$DB" --quiet --source SIMULATED-east-china-sea demo/sim-east-china-sea/positions.nmea

say "6. Detect encounters, loitering, gaps, spoofing, identity changes and port visits"
st detect --db "$DB"

say "7. Screen every vessel against sanctions lists (OFAC SDN vessels 2024-05-03, UN 1718 of 2020-06-04)"
st lists add --db "$DB" --name ofac-sdn data/lists/sdn_2024-05-03_vessels.csv
st lists add --db "$DB" --name un-1718 --version 2020-06-04 data/lists/un_1718_designated_vessels_extracted.csv
st vessels --db "$DB" --sanctioned --limit 12

say "8. The riskiest events, with the reasons behind each score (events of simulated vessels come from source SIMULATED-east-china-sea)"
st events --db "$DB" --sort score --limit 12

say "9. How well the detectors find the simulated truth (on a store holding only the scenario)"
rm -f demo/sim.duckdb demo/sim.duckdb.wal
st ingest --db demo/sim.duckdb --quiet demo/sim-east-china-sea/positions.nmea
st detect --db demo/sim.duckdb --quiet
st evaluate --truth demo/sim-east-china-sea/truth.json --db demo/sim.duckdb

say "10. Evidence report for the riskiest event"
TOP=$(st events --db "$DB" --sort score --limit 1 --format json | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)[0]["event_id"])')
st report "$TOP" --db "$DB" --format html --out demo/top-event.html
echo "Open demo/top-event.html in a browser (it works offline)."

say "11. The analyst service (REST API and offline map page with triage)"
st users add demo-admin --role admin --db "$DB"
echo "Start it with 'make serve' (or: stswatch serve --db $DB), open http://127.0.0.1:8000 and log in with the token above."
