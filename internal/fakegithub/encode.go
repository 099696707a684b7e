package fakegithub

import (
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// bufPool holds the buffers delivery pages are encoded into; a page of 100
// is about 30 KB, and load tests list thousands of pages.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 32<<10)
	return &b
}}

// appendDelivery appends r as GitHub's delivery JSON. It is hand-written
// rather than encoding/json because listing is the fake's hot path.
func (s *Server) appendDelivery(b []byte, r *rec, dc *dayCache) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.id, 10)
	b = append(b, `,"guid":`...)
	b = appendJSONString(b, r.guid)
	b = append(b, `,"delivered_at":"`...)
	b = dc.appendTime(b, r.at)
	b = append(b, `","redelivery":`...)
	b = strconv.AppendBool(b, r.redelivery)
	b = append(b, `,"duration":`...)
	b = appendFloat(b, r.dur)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, s.strs.strs[r.status])
	b = append(b, `,"status_code":`...)
	b = strconv.AppendInt(b, int64(r.code), 10)
	b = append(b, `,"event":`...)
	b = appendJSONString(b, s.strs.strs[r.event])
	b = append(b, `,"action":`...)
	if r.action == 0 {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, s.strs.strs[r.action])
	}
	b = append(b, `,"installation_id":`...)
	b = appendIDOrNull(b, r.inst)
	b = append(b, `,"repository_id":`...)
	b = appendIDOrNull(b, r.repo)
	b = append(b, `,"throttled_at":null}`...)
	return b
}

// dayCache remembers the formatted date of the last delivery encoded: the
// deliveries of a page mostly share a day, and formatting the date was the
// largest cost of encoding one.
type dayCache struct {
	day  int64
	date []byte
}

// appendTime appends nanos (Unix nanoseconds) as "2006-01-02T15:04:05Z".
func (dc *dayCache) appendTime(b []byte, nanos int64) []byte {
	const daySecs = 24 * 60 * 60
	sec := nanos / 1e9
	if nanos%1e9 < 0 {
		sec-- // floor, for times before 1970
	}
	day, rem := sec/daySecs, sec%daySecs
	if rem < 0 {
		day, rem = day-1, rem+daySecs
	}
	if dc.date == nil || dc.day != day {
		dc.day = day
		dc.date = time.Unix(day*daySecs, 0).UTC().AppendFormat(dc.date[:0], "2006-01-02")
	}
	b = append(b, dc.date...)
	h, m, s := rem/3600, rem/60%60, rem%60
	return append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10), 'Z')
}

func appendIDOrNull(b []byte, id int64) []byte {
	if id == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, id, 10)
}

// appendFloat formats like encoding/json, which cannot encode NaN or
// infinities; those become 0 so the page stays valid JSON.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// and replacing invalid UTF-8 as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendGUID appends a UUID-shaped string (8-4-4-4-12 hex digits) made of
// hi and lo, the cheap stand-in for GitHub's delivery GUIDs.
func appendGUID(b []byte, hi, lo uint64) []byte {
	const hex = "0123456789abcdef"
	var raw [32]byte
	for i := 0; i < 16; i++ {
		raw[15-i] = hex[hi&0xf]
		hi >>= 4
		raw[31-i] = hex[lo&0xf]
		lo >>= 4
	}
	b = append(b, raw[0:8]...)
	b = append(b, '-')
	b = append(b, raw[8:12]...)
	b = append(b, '-')
	b = append(b, raw[12:16]...)
	b = append(b, '-')
	b = append(b, raw[16:20]...)
	b = append(b, '-')
	return append(b, raw[20:32]...)
}
