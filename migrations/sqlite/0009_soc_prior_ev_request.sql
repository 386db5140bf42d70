-- The EV's maximum power request of the session behind a capacity estimate (session metadata evMaxPowerKw:
-- ISO 15118 EVMaximumPowerLimit, OCPP 2.0.1 evMaxPower), the "same car model" key of the SoC prior
-- (docs/soc_prior.md). 0 = not reported.
ALTER TABLE connector_soc_priors ADD COLUMN ev_max_power_kw REAL NOT NULL DEFAULT 0;
