package redeliver

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stdDecode is how pages were decoded before decode.go, and the reference
// it must match: go-github's client.Do, which uses a json.Decoder and takes
// an empty body for an empty page.
func stdDecode(b []byte) ([]Delivery, error) {
	var page []Delivery
	err := json.NewDecoder(bytes.NewReader(b)).Decode(&page)
	if err == io.EOF {
		err = nil
	}
	return page, err
}

// checkSame fails unless decodePage and encoding/json agree on b: both
// fail, or both succeed with identical pages (reflect.DeepEqual, so even
// the time.Time locations match).
func checkSame(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := stdDecode(b)
	got, err := decodePage(b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("decode %q: error %v, encoding/json's error %v", b, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decode %q (-encoding/json +decodePage):\n%s", b, cmp.Diff(want, got))
	}
}

func TestDecodePageTestdata(t *testing.T) {
	t.Parallel()
	raw := readTestPage(t)
	checkSame(t, raw)
	page, err := decodePage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 100 {
		t.Fatalf("decoded %d deliveries, want 100", len(page))
	}
	// The ids are beyond 2^53: compare them with the digits of the page,
	// never through a float64.
	ids := regexp.MustCompile(`"id":(\d+)`).FindAllSubmatch(raw, -1)
	if len(ids) != len(page) {
		t.Fatalf("found %d ids in the page, decoded %d deliveries", len(ids), len(page))
	}
	var nulls, redeliveries, failed int
	for i, d := range page {
		if got := strconv.FormatInt(d.ID, 10); got != string(ids[i][1]) {
			t.Errorf("delivery %d: id %s, want %s", i, got, ids[i][1])
		}
		if d.ID <= 1<<53 {
			t.Errorf("delivery %d: id %d is not beyond 2^53; regenerate the page", i, d.ID)
		}
		if d.Action == "" {
			nulls++
		}
		if d.Redelivery {
			redeliveries++
		}
		if !d.OK() {
			failed++
		}
	}
	if nulls == 0 || redeliveries == 0 || failed == 0 {
		t.Errorf("the page lacks variety: %d null actions, %d redeliveries, %d failed", nulls, redeliveries, failed)
	}
}

// decodeCases are pages that exercise encoding/json's corners; each must
// decode exactly as encoding/json decodes it, or fail when it fails. They
// also seed FuzzDecodePage.
var decodeCases = []string{
	``,
	" \n\t\r",
	`null`,
	`null x`,
	`[]`,
	` [ ] trailing garbage is not read`,
	`[null]`,
	`[{}]`,
	`[{},null,{}]`,
	`[{"id":3804004623172239366,"guid":"a","delivered_at":"2026-11-20T05:55:00Z","redelivery":true,"status":"OK","status_code":200,"event":"push","action":null}]`,
	`[{"id":9223372036854775807},{"id":-9223372036854775808},{"id":-0}]`,
	`[{"id":9223372036854775808}]`,
	`[{"id":-9223372036854775809}]`,
	`[{"id":1.0}]`,
	`[{"id":1e3}]`,
	`[{"id":01}]`,
	`[{"id":"1"}]`,
	`[{"id":true}]`,
	`[{"id":null,"status_code":null,"guid":null,"redelivery":null,"delivered_at":null}]`,
	`[{"ID":1,"Guid":"x","STATUS":"OK","Status_Code":200,"ſtatus":"s","\u212aey":1}]`,
	`[{"id":1,"id":2,"guid":"a","guid":"b"}]`,
	`[{"\u0069d":5,"g\u0075id":"\u0041\ud83d\ude00\ud800\udc00x\ud800y\udc00\u00e9"}]`,
	"[{\"guid\":\"\xff\xfe ok \xc3\xa9 \xed\xa0\x80\"}]",
	`[{"status":"a\"b\\c\/d\be\ff\ng\rh\ti"}]`,
	`[{"status":"\x"}]`,
	"[{\"status\":\"a\x01b\"}]",
	`[{"status":"\u12"}]`,
	`[{"delivered_at":"2026-11-20T05:55:00+00:00"}]`,
	`[{"delivered_at":"2026-11-20T05:55:00.123Z"}]`,
	`[{"delivered_at":"2024-02-29T23:59:59Z"},{"delivered_at":"0000-01-01T00:00:00Z"}]`,
	`[{"delivered_at":"2023-02-29T00:00:00Z"}]`,
	`[{"delivered_at":"2026-11-20T24:00:00Z"}]`,
	`[{"delivered_at":"2026-11-20t05:55:00z"}]`,
	`[{"delivered_at":"2026-11-20T05:55:60Z"}]`,
	`[{"delivered_at":"2026-11-20T05:55:00\u005a"}]`,
	`[{"delivered_at":1}]`,
	`[{"delivered_at":{}}]`,
	`[{"redelivery":"true"}]`,
	`[{"redelivery":tru}]`,
	`[{"duration":0.44,"installation_id":null,"repository_id":1,"throttled_at":null,"x":[1,{"a":[true,false,null,"s",-1.5e+3]}]}]`,
	`[{"x":[1,]}]`,
	`[{"x":{"a":1,}}]`,
	`[{"x":{"a" 1}}]`,
	`[{"x":-}]`,
	`[{"x":1.}]`,
	`[{"x":1e}]`,
	`[{"x":.5}]`,
	`[{"x":+1}]`,
	`[{"id":1,}]`,
	`[{"id":1}`,
	`[{"id":1},]`,
	`[{"id":1} {"id":2}]`,
	`[1]`,
	`[[]]`,
	`["x"]`,
	`{}`,
	`"x"`,
	`12`,
	`[{"guid":"unterminated`,
	`[{"guid"`,
	`[{"guid":`,
	`[{'id':1}]`,
	"\ufeff[]",
	`[{"x":` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `}]`,
	`[{"x":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}]`,
	`[{"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}]`,
	`[{"delivered_at":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}]`,
	`[{"delivered_at":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}]`,
}

func TestDecodePageMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range decodeCases {
		checkSame(t, []byte(c))
	}
}

// FuzzDecodePage checks decodePage against encoding/json on any input. Run
// it with go test ./redeliver -run '^$' -fuzz FuzzDecodePage; inputs it
// finds land in testdata/fuzz/FuzzDecodePage and are replayed by go test.
func FuzzDecodePage(f *testing.F) {
	// The first deliveries of the page, not all 100: the fuzzer mutates and
	// minimizes small inputs much faster.
	page := readTestPage(f)
	for n, i := 0, 0; i < len(page); i++ {
		if page[i] == '}' {
			if n++; n == 3 {
				f.Add(append(page[:i+1:i+1], ']'))
				break
			}
		}
	}
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSame(t, b)
	})
}

func TestParseGitHubTime(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2026-11-20T05:55:00Z", "2024-02-29T23:59:59Z", "1999-12-31T00:00:00Z", "0001-01-01T00:00:00Z"} {
		got, ok := parseGitHubTime([]byte(s))
		var want time.Time
		if err := want.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("parseGitHubTime(%q) = %v, %t; time.Time says %v, %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-20T05:55:00+00:00", "2026-11-20 05:55:00Z", "2026-11-20T05:55:00.5Z"} {
		if _, ok := parseGitHubTime([]byte(s)); ok {
			t.Errorf("parseGitHubTime(%q) took it; the fallback should", s)
		}
	}
}
