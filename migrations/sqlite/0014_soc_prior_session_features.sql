-- What the session behind a capacity estimate looked like, the features of the "sessions like this one" match of
-- the SoC prior (docs/soc_prior.md): SoC at its first reading (-1 = unknown: rows written before this migration),
-- the energy delivered (kWh) and the session's span (minutes).
ALTER TABLE connector_soc_priors ADD COLUMN start_soc REAL NOT NULL DEFAULT -1;
ALTER TABLE connector_soc_priors ADD COLUMN session_energy_kwh REAL NOT NULL DEFAULT 0;
ALTER TABLE connector_soc_priors ADD COLUMN session_minutes REAL NOT NULL DEFAULT 0;
