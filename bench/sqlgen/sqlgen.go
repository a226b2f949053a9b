// Package sqlgen writes deterministic, realistic SQL dump text for benchmarks and
// tests: what pg_dump emits for a small shop (COPY blocks of customers, orders and
// order lines, INSERT statements for JSON events, DDL between tables). It is neither
// random bytes (which do not compress) nor one repeated line (which compresses
// absurdly well): zstd -3 shrinks it about as much as a real dump.
package sqlgen

import (
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Reader returns an endless stream of dump text; the same seed gives the same bytes.
// Wrap it in io.LimitReader for a given size.
func Reader(seed uint64) io.Reader {
	return &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

type generator struct {
	rng   *rand.Rand
	buf   []byte // generated, not yet read
	off   int
	table int   // which table the next chunk is for
	ids   []int // next id per table
}

const rowsPerChunk = 2000

// Read implements io.Reader; it never fails.
func (g *generator) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if g.off == len(g.buf) {
			g.buf, g.off = g.buf[:0], 0
			g.chunk()
		}
		c := copy(p[n:], g.buf[g.off:])
		g.off += c
		n += c
	}
	return n, nil
}

var (
	firstNames = words("Anna Bruno Chloé Dmitri Emma Farid Greta Hiro Ines João Kofi Lena Mateo Nora Olga Pavel Quinn Rosa Sven Tariq Ursula Vera Wei Ximena Yusuf Zoë")
	lastNames  = words("Müller Smith García Rossi Dubois Nowak Kowalski Jensen Silva Tanaka Okafor Novak Haddad Petrov Kim Nguyen Larsen Costa Moreau Schmidt Ivanova Yilmaz")
	cities     = words("Berlin Lisbon Kraków Osaka Lagos Montréal Valparaíso Tallinn Porto Lyon Bergen Busan Quito Seville Gdańsk Nairobi Auckland Malmö Cork Brno")
	countries  = words("DE PT PL JP NG CA CL EE FR NO KR EC ES KE NZ SE IE CZ")
	statuses   = words("pending paid packed shipped delivered cancelled refunded")
	products   = words("kettle lamp chair notebook backpack headphones teapot blanket mug pillow bicycle-bell rain-jacket hiking-boots desk-fan")
	adjectives = words("red large compact vintage organic refurbished wireless waterproof handmade matte")
	noteWords  = words("please leave at the door call before delivery gift wrap fragile handle with care second floor ring twice no plastic thanks")
	eventTypes = words("login logout page_view add_to_cart checkout search password_reset review")
)

func words(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

var epoch = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) timestamp() []byte {
	t := time.Unix(epoch+g.rng.Int64N(4*365*24*3600), 0).UTC()
	return t.AppendFormat(nil, "2006-01-02 15:04:05+00")
}

func (g *generator) hex(b []byte, n int) []byte {
	const digits = "0123456789abcdef"
	for i := 0; i < n; i++ {
		b = append(b, digits[g.rng.IntN(16)])
	}
	return b
}

func (g *generator) money(b []byte, limit int) []byte {
	cents := g.rng.IntN(limit * 100)
	b = strconv.AppendInt(b, int64(cents/100), 10)
	b = append(b, '.')
	if cents%100 < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(cents%100), 10)
}

// chunk appends one table's worth of rows to g.buf, cycling through the tables.
func (g *generator) chunk() {
	if g.ids == nil {
		g.ids = []int{1, 1, 1, 1}
		g.buf = append(g.buf, "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n\n"...)
	}
	switch g.table % 4 {
	case 0:
		g.customers()
	case 1:
		g.orders()
	case 2:
		g.orderLines()
	case 3:
		g.events()
	}
	g.table++
}

func (g *generator) customers() {
	b := append(g.buf, "\nCOPY public.customers (id, uuid, first_name, last_name, email, phone, city, country, created_at, balance, active) FROM stdin;\n"...)
	for i := 0; i < rowsPerChunk; i++ {
		id := g.ids[0]
		g.ids[0]++
		first, last := g.pick(firstNames), g.pick(lastNames)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, '\t')
		b = g.hex(b, 8)
		b = append(b, '-')
		b = g.hex(b, 4)
		b = append(b, "-4"...)
		b = g.hex(b, 3)
		b = append(b, "-a"...)
		b = g.hex(b, 3)
		b = append(b, '-')
		b = g.hex(b, 12)
		b = append(append(append(append(b, '\t'), first...), '\t'), last...)
		b = append(append(append(b, '\t'), first...), '.')
		b = strconv.AppendInt(append(append(b, last...), '.'), int64(g.rng.IntN(1000)), 10)
		b = append(b, "@example.org\t+"...)
		b = strconv.AppendInt(b, 10_000_000_000+g.rng.Int64N(90_000_000_000), 10)
		b = append(append(append(append(b, '\t'), g.pick(cities)...), '\t'), g.pick(countries)...)
		b = append(append(b, '\t'), g.timestamp()...)
		b = g.money(append(b, '\t'), 5000)
		if g.rng.IntN(10) == 0 {
			b = append(b, "\tf\n"...)
		} else {
			b = append(b, "\tt\n"...)
		}
	}
	g.buf = append(b, "\\.\n\n"...)
}

func (g *generator) orders() {
	b := append(g.buf, "\nCOPY public.orders (id, customer_id, status, total, currency, placed_at, shipped_at, note) FROM stdin;\n"...)
	for i := 0; i < rowsPerChunk; i++ {
		id := g.ids[1]
		g.ids[1]++
		b = strconv.AppendInt(b, int64(id), 10)
		b = strconv.AppendInt(append(b, '\t'), int64(1+g.rng.IntN(max(g.ids[0], 2))), 10)
		b = append(append(b, '\t'), g.pick(statuses)...)
		b = g.money(append(b, '\t'), 900)
		b = append(b, "\tEUR\t"...)
		b = append(b, g.timestamp()...)
		if g.rng.IntN(3) == 0 {
			b = append(b, "\t\\N"...)
		} else {
			b = append(append(b, '\t'), g.timestamp()...)
		}
		b = append(b, '\t')
		if g.rng.IntN(4) == 0 {
			for w := 2 + g.rng.IntN(6); w > 0; w-- {
				b = append(append(b, g.pick(noteWords)...), ' ')
			}
			b = b[:len(b)-1]
		} else {
			b = append(b, "\\N"...)
		}
		b = append(b, '\n')
	}
	g.buf = append(b, "\\.\n\n"...)
}

func (g *generator) orderLines() {
	b := append(g.buf, "\nCOPY public.order_lines (order_id, line, sku, description, quantity, unit_price) FROM stdin;\n"...)
	for i := 0; i < rowsPerChunk; i++ {
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(max(g.ids[1], 2))), 10)
		b = strconv.AppendInt(append(b, '\t'), int64(1+g.rng.IntN(5)), 10)
		b = append(b, "\tSKU-"...)
		b = strconv.AppendInt(b, int64(10000+g.rng.IntN(90000)), 10)
		b = append(append(append(append(b, '\t'), g.pick(adjectives)...), ' '), g.pick(products)...)
		b = strconv.AppendInt(append(b, '\t'), int64(1+g.rng.IntN(4)), 10)
		b = append(g.money(append(b, '\t'), 250), '\n')
	}
	g.buf = append(b, "\\.\n\n"...)
}

func (g *generator) events() {
	b := append(g.buf, "\nCREATE TABLE IF NOT EXISTS public.events (id bigint PRIMARY KEY, kind text, payload jsonb, at timestamptz);\n"...)
	for i := 0; i < rowsPerChunk/4; i++ {
		id := g.ids[3]
		g.ids[3]++
		b = append(b, "INSERT INTO public.events (id, kind, payload, at) VALUES ("...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(append(append(b, ", '"...), g.pick(eventTypes)...), "', '{\"session\": \""...)
		b = g.hex(b, 16)
		b = append(b, "\", \"customer\": "...)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(max(g.ids[0], 2))), 10)
		b = append(append(append(b, ", \"city\": \""...), g.pick(cities)...), "\", \"ms\": "...)
		b = strconv.AppendInt(b, int64(g.rng.IntN(3000)), 10)
		b = append(append(append(b, "}', '"...), g.timestamp()...), "');\n"...)
	}
	g.buf = b
}
