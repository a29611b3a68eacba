-- Run once by the postgres image on an empty data directory, as the
-- POSTGRES_USER (sim2l), which therefore owns every database. The image
-- itself creates POSTGRES_DB (sim2l_sessions, the shared sessions store).
CREATE DATABASE sim2l_cache;
CREATE DATABASE sim2l_catalog;
CREATE DATABASE sim2l_results;
