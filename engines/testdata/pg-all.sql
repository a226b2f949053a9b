--
-- PostgreSQL database cluster dump
--

\restrict ilXMBZZBRikKOMjZqnDxFPu1qhBx9hKbo1jpuet3nTrLKU0NgJ67tVg0DZhh0BW

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Drop databases (except postgres and template1)
--

DROP DATABASE IF EXISTS app;
DROP DATABASE IF EXISTS second;




--
-- Drop roles
--

DROP ROLE IF EXISTS postgres;
DROP ROLE IF EXISTS reader;


--
-- Roles
--

CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:8u4AeQ+ERRXssIR+2Cke7Q==$DAyevaxWw270flMhBohze0a9NDw3Sq5WNVwT/gD/JuI=:slf2PtkpQJzE17s135qIMvTaqvAxcMfXdLBlmz29qw8=';
CREATE ROLE reader;
ALTER ROLE reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;

--
-- User Configurations
--








\unrestrict ilXMBZZBRikKOMjZqnDxFPu1qhBx9hKbo1jpuet3nTrLKU0NgJ67tVg0DZhh0BW

--
-- Databases
--

--
-- Database "template1" dump
--

--
-- PostgreSQL database dump
--

\restrict V5bgnjKTm7ImL3J9Mcq9h4nJm2Tvi4GAoT0E2auYV14rUQfWAXfUr03RKdWfhie

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

UPDATE pg_catalog.pg_database SET datistemplate = false WHERE datname = 'template1';
DROP DATABASE template1;
--
-- Name: template1; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE template1 WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE template1 OWNER TO postgres;

\unrestrict V5bgnjKTm7ImL3J9Mcq9h4nJm2Tvi4GAoT0E2auYV14rUQfWAXfUr03RKdWfhie
\connect template1
\restrict V5bgnjKTm7ImL3J9Mcq9h4nJm2Tvi4GAoT0E2auYV14rUQfWAXfUr03RKdWfhie

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: DATABASE template1; Type: COMMENT; Schema: -; Owner: postgres
--

COMMENT ON DATABASE template1 IS 'default template for new databases';


--
-- Name: template1; Type: DATABASE PROPERTIES; Schema: -; Owner: postgres
--

ALTER DATABASE template1 IS_TEMPLATE = true;


\unrestrict V5bgnjKTm7ImL3J9Mcq9h4nJm2Tvi4GAoT0E2auYV14rUQfWAXfUr03RKdWfhie
\connect template1
\restrict V5bgnjKTm7ImL3J9Mcq9h4nJm2Tvi4GAoT0E2auYV14rUQfWAXfUr03RKdWfhie

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: DATABASE template1; Type: ACL; Schema: -; Owner: postgres
--

REVOKE CONNECT,TEMPORARY ON DATABASE template1 FROM PUBLIC;
GRANT CONNECT ON DATABASE template1 TO PUBLIC;


--
-- PostgreSQL database dump complete
--

\unrestrict V5bgnjKTm7ImL3J9Mcq9h4nJm2Tvi4GAoT0E2auYV14rUQfWAXfUr03RKdWfhie

--
-- Database "app" dump
--

--
-- PostgreSQL database dump
--

\restrict xdac2boZasmql4lB5VNLFureJkhtoj74zw8sgbH7bswSVgStks0hjkAF3YyaLCe

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: app; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE app WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE app OWNER TO postgres;

\unrestrict xdac2boZasmql4lB5VNLFureJkhtoj74zw8sgbH7bswSVgStks0hjkAF3YyaLCe
\connect app
\restrict xdac2boZasmql4lB5VNLFureJkhtoj74zw8sgbH7bswSVgStks0hjkAF3YyaLCe

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: other; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA other;


ALTER SCHEMA other OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: t; Type: TABLE; Schema: other; Owner: postgres
--

CREATE TABLE other.t (
    x integer
);


ALTER TABLE other.t OWNER TO postgres;

--
-- Name: Weird "Name"; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Weird ""Name""" (
    x integer
);


ALTER TABLE public."Weird ""Name""" OWNER TO postgres;

--
-- Name: empty; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.empty (
    x integer
);


ALTER TABLE public.empty OWNER TO postgres;

--
-- Name: people; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.people (
    id integer NOT NULL,
    name text
);


ALTER TABLE public.people OWNER TO postgres;

--
-- Data for Name: t; Type: TABLE DATA; Schema: other; Owner: postgres
--

COPY other.t (x) FROM stdin;
1
2
3
4
5
\.


--
-- Data for Name: Weird "Name"; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public."Weird ""Name""" (x) FROM stdin;
\.


--
-- Data for Name: empty; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.empty (x) FROM stdin;
\.


--
-- Data for Name: people; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.people (id, name) FROM stdin;
1	Ada
2	multi\nline
3	tab\there
\.


--
-- Name: people people_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.people
    ADD CONSTRAINT people_pkey PRIMARY KEY (id);


--
-- Name: TABLE people; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.people TO reader;


--
-- PostgreSQL database dump complete
--

\unrestrict xdac2boZasmql4lB5VNLFureJkhtoj74zw8sgbH7bswSVgStks0hjkAF3YyaLCe

--
-- Database "postgres" dump
--

--
-- PostgreSQL database dump
--

\restrict BLTdgpJcEoVxKB1UliXkRV9FKa1rf5dKWa6mTPMEjGZmpq4HR2pAho3Mmb0Bgzn

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

DROP DATABASE postgres;
--
-- Name: postgres; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE postgres WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE postgres OWNER TO postgres;

\unrestrict BLTdgpJcEoVxKB1UliXkRV9FKa1rf5dKWa6mTPMEjGZmpq4HR2pAho3Mmb0Bgzn
\connect postgres
\restrict BLTdgpJcEoVxKB1UliXkRV9FKa1rf5dKWa6mTPMEjGZmpq4HR2pAho3Mmb0Bgzn

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: DATABASE postgres; Type: COMMENT; Schema: -; Owner: postgres
--

COMMENT ON DATABASE postgres IS 'default administrative connection database';


--
-- PostgreSQL database dump complete
--

\unrestrict BLTdgpJcEoVxKB1UliXkRV9FKa1rf5dKWa6mTPMEjGZmpq4HR2pAho3Mmb0Bgzn

--
-- Database "second" dump
--

--
-- PostgreSQL database dump
--

\restrict 4iNE7oAQYMq5QFqbmkC62qELa2bMj9903lkyviTsdVKDXFgyJAiH2cmkFX2dDIo

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: second; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE second WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE second OWNER TO postgres;

\unrestrict 4iNE7oAQYMq5QFqbmkC62qELa2bMj9903lkyviTsdVKDXFgyJAiH2cmkFX2dDIo
\connect second
\restrict 4iNE7oAQYMq5QFqbmkC62qELa2bMj9903lkyviTsdVKDXFgyJAiH2cmkFX2dDIo

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: notes; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.notes (
    x integer
);


ALTER TABLE public.notes OWNER TO postgres;

--
-- Data for Name: notes; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.notes (x) FROM stdin;
1
2
\.


--
-- PostgreSQL database dump complete
--

\unrestrict 4iNE7oAQYMq5QFqbmkC62qELa2bMj9903lkyviTsdVKDXFgyJAiH2cmkFX2dDIo

--
-- PostgreSQL database cluster dump complete
--

