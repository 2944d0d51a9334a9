-- The queue_log table Asterisk writes through extconfig.conf (queue_log => pgsql,asterisk,queue_log).
-- With data1..data5 present Asterisk stores each `|`-separated data field in its own column
-- (the "adaptive" layout); `time` is 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (queue_log_realtime_use_gmt).
-- The columns carry what a queue_log file line carries: epoch|callid|queuename|agent|event|data1|...
CREATE TABLE IF NOT EXISTS queue_log (
    id BIGSERIAL PRIMARY KEY,
    time TIMESTAMP NOT NULL,
    callid VARCHAR(80) NOT NULL DEFAULT '',
    queuename VARCHAR(128) NOT NULL DEFAULT '',
    agent VARCHAR(128) NOT NULL DEFAULT '',
    event VARCHAR(32) NOT NULL DEFAULT '',
    data1 VARCHAR(256) NOT NULL DEFAULT '',
    data2 VARCHAR(256) NOT NULL DEFAULT '',
    data3 VARCHAR(256) NOT NULL DEFAULT '',
    data4 VARCHAR(256) NOT NULL DEFAULT '',
    data5 VARCHAR(256) NOT NULL DEFAULT ''
);
-- The backfill reads a time window, then the lines of the calls it found.
CREATE INDEX IF NOT EXISTS queue_log_time ON queue_log (time);
CREATE INDEX IF NOT EXISTS queue_log_callid ON queue_log (callid);

-- Asterisk only inserts; the service only reads.
-- CREATE ROLE asterisk LOGIN PASSWORD '...';      GRANT INSERT, SELECT ON queue_log TO asterisk;
-- GRANT USAGE ON SEQUENCE queue_log_id_seq TO asterisk;
-- CREATE ROLE callcenter_reader LOGIN PASSWORD '...'; GRANT SELECT ON queue_log TO callcenter_reader;
