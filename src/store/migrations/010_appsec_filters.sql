-- Severity and status filtered together (the triage view: "open criticals since
-- Monday") walk one index in list order, and `pageInfo`'s count reads the index
-- alone instead of every matching row.
CREATE INDEX appsec_vulnerabilities_severity_status
    ON appsec_vulnerabilities (severity, status, first_seen, id);
