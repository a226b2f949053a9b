--
-- PostgreSQL database dump
--

\restrict KFZiT7iZMGTnKvjMvGfgSbKB2Wv9ROHVH5XEHMHKokn71cpnZnPruYrHYFdvXlH

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

ALTER TABLE IF EXISTS ONLY public.people DROP CONSTRAINT IF EXISTS people_pkey;
DROP TABLE IF EXISTS public.people;
DROP TABLE IF EXISTS public.empty;
DROP TABLE IF EXISTS public."Weird ""Name""";
DROP TABLE IF EXISTS other.t;
DROP SCHEMA IF EXISTS other;
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

\unrestrict KFZiT7iZMGTnKvjMvGfgSbKB2Wv9ROHVH5XEHMHKokn71cpnZnPruYrHYFdvXlH

