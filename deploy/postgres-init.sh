#!/bin/sh
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d).
# POSTGRES_DB (= DB_NAME) is Rasa's tracker store; the case database (ANSINH_DB_URL) and the dashboard's events
# database (ANSINH_EVENTS_URL) are separate: the tracker store and the events consumer both use a table `events`.
set -eu
for db in "${ANSINH_CASES_DB:-ansinh_cases}" "${ANSINH_EVENTS_DB:-ansinh_events}"; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
done
