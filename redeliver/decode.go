package redeliver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// Listing is the hot path of a pass: a busy hook's window holds hundreds of
// thousands of deliveries, read 100 to a page. encoding/json spends several
// microseconds on each (it scans a page twice and reflects on every field),
// so pages are decoded here instead, by hand, into the few fields a pass
// needs. The decoder accepts exactly what encoding/json accepts and produces
// exactly what it would (FuzzDecodePage checks both), down to its quirks:
// keys match case-insensitively, duplicate keys take the last value, null
// leaves a field unset, invalid UTF-8 becomes U+FFFD, and unknown fields are
// checked for syntax and skipped.

// maxPageBytes bounds what is read of one page. GitHub's pages of 100
// deliveries are about 30 KB.
const maxPageBytes = 16 << 20

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// readPage sends a request for a page of deliveries and decodes the body
// straight from the wire into a buffer reused across pages. It returns what
// client.Do would: the response even on error, and a nil page for an empty
// body or null.
func readPage(ctx context.Context, client *github.Client, req *http.Request) ([]Delivery, *github.Response, error) {
	resp, err := client.BareDo(ctx, req)
	if err != nil {
		return nil, resp, err
	}
	defer resp.Body.Close()
	d := decoders.Get().(*pageDecoder)
	defer decoders.Put(d)
	if err := d.read(resp.Body, resp.ContentLength); err != nil {
		return nil, resp, err
	}
	page, err := d.decode()
	return page, resp, err
}

// decoders are reused so that a pass allocates one read buffer, not one per
// page.
var decoders = sync.Pool{New: func() any { return &pageDecoder{strs: make(map[string]string)} }}

// pageDecoder decodes one page at a time; it is not safe for concurrent use.
type pageDecoder struct {
	buf []byte // the page
	i   int    // read position in buf
	// strs interns the few distinct statuses, events and actions, so
	// that a delivery costs one string allocation (its GUID), not four.
	strs    map[string]string
	last    [fAction + 1]string // the last value of each field
	scratch []byte              // unescaped strings
}

// maxInterned bounds strs: a hook has a few dozen distinct values.
const maxInterned = 1024

// read fills d.buf with the body. size is the Content-Length, -1 if unknown.
func (d *pageDecoder) read(body io.Reader, size int64) error {
	if size < 0 || size > maxPageBytes {
		size = 64 << 10
	}
	if int64(cap(d.buf)) < size+1 {
		d.buf = make([]byte, 0, size+1) // +1: io.EOF is seen without growing
	}
	b := d.buf[:0]
	lr := io.LimitReader(body, maxPageBytes+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			d.buf = b
			return fmt.Errorf("read page of deliveries: %w", err)
		}
	}
	d.buf = b
	if len(b) > maxPageBytes {
		return fmt.Errorf("read page of deliveries: larger than %d MiB", maxPageBytes>>20)
	}
	return nil
}

// decodePage decodes a whole page held in memory, for tests and benchmarks.
func decodePage(b []byte) ([]Delivery, error) {
	d := &pageDecoder{buf: b, strs: make(map[string]string)}
	return d.decode()
}

// syntaxError reports a page that is not what encoding/json would accept.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("decode page of deliveries: %s at offset %d", e.msg, e.off)
}

func (d *pageDecoder) fail(msg string) error { return &syntaxError{msg: msg, off: d.i} }

// decode decodes d.buf as json.NewDecoder(body).Decode(&page) would, with
// go-github's io.EOF check: an empty body is an empty page, and what follows
// the first value is not read.
func (d *pageDecoder) decode() ([]Delivery, error) {
	d.i = 0
	d.skipSpace()
	if d.i == len(d.buf) {
		return nil, nil
	}
	switch d.buf[d.i] {
	case 'n':
		return nil, d.literal("null")
	case '[':
	default:
		return nil, d.fail("want an array of deliveries")
	}
	d.i++
	page := []Delivery{}
	d.skipSpace()
	if d.peek() == ']' {
		return page, nil
	}
	page = make([]Delivery, 0, PageSize)
	for {
		d.skipSpace()
		switch d.peek() {
		case '{':
			page = append(page, Delivery{})
			if err := d.delivery(&page[len(page)-1]); err != nil {
				return nil, err
			}
		case 'n':
			if err := d.literal("null"); err != nil {
				return nil, err
			}
			page = append(page, Delivery{})
		default:
			return nil, d.fail("want a delivery object")
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			return page, nil
		default:
			return nil, d.fail("want , or ] after a delivery")
		}
	}
}

func (d *pageDecoder) peek() byte {
	if d.i < len(d.buf) {
		return d.buf[d.i]
	}
	return 0
}

func (d *pageDecoder) skipSpace() {
	if d.i < len(d.buf) && d.buf[d.i] > ' ' {
		return // GitHub sends no whitespace
	}
	for d.i < len(d.buf) {
		switch d.buf[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *pageDecoder) literal(lit string) error {
	if !bytes.HasPrefix(d.buf[d.i:], []byte(lit)) {
		return d.fail("invalid literal")
	}
	d.i += len(lit)
	return nil
}

// Fields of a delivery.
const (
	fUnknown = iota
	fID
	fGUID
	fDeliveredAt
	fRedelivery
	fStatus
	fStatusCode
	fEvent
	fAction
)

var fieldNames = [...]string{fID: "id", fGUID: "guid", fDeliveredAt: "delivered_at", fRedelivery: "redelivery",
	fStatus: "status", fStatusCode: "status_code", fEvent: "event", fAction: "action"}

// field matches a key as encoding/json does: exactly, else ignoring case
// (with Unicode folding: "ſtatus" is "status"). plain says the key was
// ASCII without escapes, so that only names of its length can match.
func field(key []byte, plain bool) int {
	switch string(key) {
	case "id":
		return fID
	case "guid":
		return fGUID
	case "delivered_at":
		return fDeliveredAt
	case "redelivery":
		return fRedelivery
	case "status":
		return fStatus
	case "status_code":
		return fStatusCode
	case "event":
		return fEvent
	case "action":
		return fAction
	}
	for f := fID; f < len(fieldNames); f++ {
		if (!plain || len(key) == len(fieldNames[f])) && bytes.EqualFold(key, []byte(fieldNames[f])) {
			return f
		}
	}
	return fUnknown
}

// keyOrder is the order of GitHub's fields. A key where it is expected is
// matched with one comparison instead of being scanned and looked up.
var keyOrder = [...]struct {
	prefix string // the key and its colon
	f      int
}{
	{`"id":`, fID}, {`"guid":`, fGUID}, {`"delivered_at":`, fDeliveredAt}, {`"redelivery":`, fRedelivery},
	{`"duration":`, fUnknown}, {`"status":`, fStatus}, {`"status_code":`, fStatusCode}, {`"event":`, fEvent},
	{`"action":`, fAction}, {`"installation_id":`, fUnknown}, {`"repository_id":`, fUnknown}, {`"throttled_at":`, fUnknown},
}

// expectedKey consumes the key and colon at d.i if they are keyOrder[next]
// or, should GitHub drop a field, the one after; it returns which.
func (d *pageDecoder) expectedKey(next int) (int, bool) {
	for k := next; k < min(next+2, len(keyOrder)); k++ {
		p := keyOrder[k].prefix
		if len(d.buf)-d.i >= len(p) && string(d.buf[d.i:d.i+len(p)]) == p {
			d.i += len(p)
			return k, true
		}
	}
	return 0, false
}

// delivery decodes an object into dl; d.buf[d.i] is '{'.
func (d *pageDecoder) delivery(dl *Delivery) error {
	d.i++
	d.skipSpace()
	if d.peek() == '}' {
		d.i++
		return nil
	}
	next := 0 // in keyOrder
	for {
		d.skipSpace()
		var f int
		if k, ok := d.expectedKey(next); ok {
			f, next = keyOrder[k].f, k+1
		} else {
			key, plain, err := d.string()
			if err != nil {
				return err
			}
			f = field(key, plain)
			d.skipSpace()
			if d.peek() != ':' {
				return d.fail("want : after an object key")
			}
			d.i++
		}
		d.skipSpace()
		if err := d.value(f, dl); err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.fail("want , or } in a delivery")
		}
	}
}

// value decodes the value of field f into dl. null leaves any field as it
// is, as encoding/json does.
func (d *pageDecoder) value(f int, dl *Delivery) error {
	c := d.peek()
	if c == 'n' && f != fUnknown {
		return d.literal("null")
	}
	switch f {
	case fID, fStatusCode:
		n, err := d.int()
		if err != nil {
			return err
		}
		if f == fID {
			dl.ID = n
		} else if dl.StatusCode = int(n); int64(dl.StatusCode) != n {
			return d.fail("status_code out of range") // 32-bit platforms only
		}
	case fGUID:
		s, _, err := d.string()
		if err != nil {
			return err
		}
		dl.GUID = string(s)
	case fStatus, fEvent, fAction:
		s, _, err := d.string()
		if err != nil {
			return err
		}
		v := d.intern(f, s)
		switch f {
		case fStatus:
			dl.Status = v
		case fEvent:
			dl.Event = v
		default:
			dl.Action = v
		}
	case fRedelivery:
		switch c {
		case 't':
			dl.Redelivery = true
			return d.literal("true")
		case 'f':
			dl.Redelivery = false
			return d.literal("false")
		}
		return d.fail("redelivery: want true or false")
	case fDeliveredAt:
		return d.time(&dl.DeliveredAt)
	default:
		return d.skip(3) // page, delivery, value
	}
	return nil
}

// intern returns b as a string, allocating only for a value not seen
// before. Most deliveries repeat the previous one's status.
func (d *pageDecoder) intern(f int, b []byte) string {
	if last := d.last[f]; last == string(b) {
		return last
	}
	s, ok := d.strs[string(b)]
	if !ok {
		s = string(b)
		if len(d.strs) < maxInterned {
			d.strs[s] = s
		}
	}
	d.last[f] = s
	return s
}

// int reads an integer as encoding/json does into an int64 field: a number
// with a fraction or exponent, or one out of range, is an error.
func (d *pageDecoder) int() (int64, error) {
	b, i := d.buf, d.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	first := i
	var n uint64 // 19 digits fit in a uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if i-first < 19 {
			n = n*10 + uint64(b[i]-'0')
		}
	}
	digits := i - first
	d.i = i
	switch {
	case digits == 0 || b[first] == '0' && digits > 1:
		return 0, d.fail("invalid number")
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, d.fail("want an integer")
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit++
	}
	if digits > 19 || n > limit {
		return 0, d.fail("integer out of range")
	}
	if neg {
		return -int64(n), nil // -(1<<63) wraps to itself, as it should
	}
	return int64(n), nil
}

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *pageDecoder) number() error {
	b, i := d.buf, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	default:
		d.i = i
		return d.fail("invalid value")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			return d.fail("invalid number")
		}
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			return d.fail("invalid number")
		}
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	}
	d.i = i
	return nil
}

// stringEnd checks the string starting at d.buf[d.i] ('"') and returns the
// index of its closing quote and whether it needs unescaping (escapes or
// bytes beyond ASCII).
func (d *pageDecoder) stringEnd() (end int, plain bool, err error) {
	b := d.buf
	if d.i >= len(b) || b[d.i] != '"' {
		return 0, false, d.fail("want a string")
	}
	plain = true
	for i := d.i + 1; i < len(b); i++ {
		// Eight bytes at a time while none needs a look, then one by one.
		for i+8 <= len(b) && !special(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i == len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i, plain, nil
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					d.i = i
					return 0, false, d.fail(`invalid \u escape`)
				}
				i += 4
			default:
				d.i = i
				return 0, false, d.fail("invalid escape")
			}
		case c < 0x20:
			d.i = i
			return 0, false, d.fail("control character in string")
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	d.i = len(b)
	return 0, false, d.fail("unterminated string")
}

// plainByte tells the bytes a string holds as they are: ASCII but for
// control characters, quote and backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special reports whether any of the eight bytes in x is a quote, a
// backslash, a control character or beyond ASCII ("Bit Twiddling Hacks":
// determine if a word has a zero byte, or a byte less than n).
func special(x uint64) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - lsb) &^ v }
	quote, backslash := x^(lsb*'"'), x^(lsb*'\\')
	return (zero(quote)|zero(backslash)|(x-lsb*0x20)&^x|x)&msb != 0
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// string reads a string and returns its value, valid until the next call,
// and whether it was plain ASCII without escapes.
func (d *pageDecoder) string() (s []byte, plain bool, err error) {
	end, plain, err := d.stringEnd()
	if err != nil {
		return nil, false, err
	}
	raw := d.buf[d.i+1 : end]
	d.i = end + 1
	if plain {
		return raw, true, nil
	}
	d.scratch = unquote(d.scratch[:0], raw)
	return d.scratch, false, nil
}

// unquote appends the value of a checked string's contents to out, as
// encoding/json's unquoteBytes does: invalid UTF-8 and lone surrogates
// become U+FFFD.
func unquote(out, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						out = utf8.AppendRune(out, dec)
						r += 6
						continue
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
				continue
			default: // " \ /
				out = append(out, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return out
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// time reads delivered_at. GitHub writes "2006-01-02T15:04:05Z", parsed
// here directly; anything else goes to time.Time's UnmarshalJSON, which
// encoding/json would call with the raw value.
func (d *pageDecoder) time(t *time.Time) error {
	start := d.i
	if d.peek() == '"' {
		end, _, err := d.stringEnd()
		if err != nil {
			return err
		}
		d.i = end + 1
		if v, ok := parseGitHubTime(d.buf[start+1 : end]); ok {
			*t = v
			return nil
		}
	} else if err := d.skip(3); err != nil {
		return err
	}
	if err := t.UnmarshalJSON(d.buf[start:d.i]); err != nil {
		return fmt.Errorf("decode page of deliveries: delivered_at: %w", err)
	}
	return nil
}

// parseGitHubTime parses exactly "2006-01-02T15:04:05Z" with the range
// checks of time.Parse; ok is false for anything else.
func parseGitHubTime(s []byte) (t time.Time, ok bool) {
	if len(s) != len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// skip checks and skips any value; depth is that of the value.
func (d *pageDecoder) skip(depth int) error {
	switch d.peek() {
	case '"':
		end, _, err := d.stringEnd()
		if err != nil {
			return err
		}
		d.i = end + 1
		return nil
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '{', '[':
	default:
		return d.number()
	}
	if depth > maxDepth {
		return d.fail("exceeded max depth")
	}
	closing := byte('}')
	if d.peek() == '[' {
		closing = ']'
	}
	object := closing == '}'
	d.i++
	d.skipSpace()
	if d.peek() == closing {
		d.i++
		return nil
	}
	for {
		d.skipSpace()
		if object {
			end, _, err := d.stringEnd()
			if err != nil {
				return err
			}
			d.i = end + 1
			d.skipSpace()
			if d.peek() != ':' {
				return d.fail("want : after an object key")
			}
			d.i++
			d.skipSpace()
		}
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.i++
		case closing:
			d.i++
			return nil
		default:
			return d.fail("want , or " + string(closing))
		}
	}
}
