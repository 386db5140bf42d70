-- The "sessions like this one" match of the SoC reconstruction looks at the station's recent sessions on all its
-- connectors (a returning car takes whichever connector is free; docs/soc_prior.md): read newest first per station.
CREATE INDEX connector_soc_priors_by_station ON connector_soc_priors (tenant_id, station_id, observed_at DESC, session_pk DESC);
