package redeliver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// The scan benchmarks decode pages of GitHub's JSON from testdata. Run them
// with go test ./redeliver -run '^$' -bench . -benchmem; CI runs each once
// (-benchtime=1x) so that they keep compiling and working.

// perDelivery reports the benchmark's time and allocations per delivery.
func perDelivery(b *testing.B, deliveriesPerOp int) {
	b.Helper()
	n := float64(b.N * deliveriesPerOp)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/delivery")
}

func BenchmarkDecodePage(b *testing.B) {
	raw := readTestPage(b)
	for _, dec := range []struct {
		name   string
		decode func([]byte) ([]Delivery, error)
	}{
		{"decoder=decode.go", decodePage},
		{"decoder=encoding-json", stdDecode}, // what decode.go replaced
	} {
		b.Run(dec.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				page, err := dec.decode(raw)
				if err != nil || len(page) != 100 {
					b.Fatalf("decoded %d deliveries: %v", len(page), err)
				}
			}
			perDelivery(b, 100)
		})
	}
}

// BenchmarkScan is the CPU cost of listing minus the network: decode a page
// and group its deliveries by GUID. The same page is fed again and again, so
// the scanner keeps meeting the same GUIDs, as it does with redeliveries.
func BenchmarkScan(b *testing.B) {
	raw := readTestPage(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	d := &pageDecoder{strs: make(map[string]string)}
	sc := newScanner(time.Time{})
	for b.Loop() {
		d.buf = raw
		page, err := d.decode()
		if err != nil {
			b.Fatal(err)
		}
		for i := range page {
			sc.add(&page[i])
		}
	}
	perDelivery(b, 100)
	if len(sc.failures()) == 0 {
		b.Fatal("no failures found")
	}
}

// BenchmarkReadPage adds HTTP on loopback and go-github: readPage against a
// server that answers every request with the testdata page. The server runs
// in the same process, so its CPU time counts too; the load test
// (go run . --loadtest, see the README) measures the client alone.
func BenchmarkReadPage(b *testing.B) {
	raw := readTestPage(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
		_, _ = w.Write(raw)
	}))
	defer srv.Close()
	c := github.NewClient(srv.Client())
	c.BaseURL, _ = url.Parse(srv.URL + "/")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := c.NewRequest(http.MethodGet, "orgs/acme/hooks/1/deliveries?per_page=100", nil)
		if err != nil {
			b.Fatal(err)
		}
		page, _, err := readPage(b.Context(), c, req)
		if err != nil || len(page) != 100 {
			b.Fatalf("read %d deliveries: %v", len(page), err)
		}
	}
	perDelivery(b, 100)
}

// synthPages calls fn with n deliveries as pages of GitHub's JSON, newest
// first: failed GUIDs whose only attempt failed, spread evenly; one event in
// a hundred that failed and was redelivered successfully 50 deliveries
// later; the rest delivered the first time.
func synthPages(n, failed int, fn func(page []byte)) {
	start := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	failStep := n / failed
	buf := make([]byte, 0, 32<<10)
	hex := func(b []byte, v, width int) []byte {
		for shift := 4 * (width - 1); shift >= 0; shift -= 4 {
			b = append(b, "0123456789abcdef"[v>>shift&0xf])
		}
		return b
	}
	guid := func(b []byte, i int) []byte {
		b = append(b, '"')
		b = hex(b, i/7, 8)
		b = append(b, "-0000-4000-8000-"...)
		return append(hex(b, i, 12), '"')
	}
	for first := 0; first < n; first += PageSize {
		buf = append(buf[:0], '[')
		for i := first; i < min(first+PageSize, n); i++ {
			if i > first {
				buf = append(buf, ',')
			}
			g, redelivery, status, code := i, false, "OK", 200
			switch {
			case i%failStep == 0:
				status, code = "Invalid HTTP Response: 503", 503
			case i%100 == 1: // the successful redelivery of guid i+50
				g, redelivery = i+50, true
			case i%100 == 51: // the failed original of the one above
				status, code = "timed out", 0
			}
			buf = append(buf, `{"id":`...)
			buf = strconv.AppendInt(buf, 3804004623172239366+int64(n-i), 10)
			buf = append(buf, `,"guid":`...)
			buf = guid(buf, g)
			buf = append(buf, `,"delivered_at":"`...)
			buf = start.Add(-time.Duration(i)*time.Second).AppendFormat(buf, "2006-01-02T15:04:05Z")
			buf = append(buf, `","redelivery":`...)
			buf = strconv.AppendBool(buf, redelivery)
			buf = append(buf, `,"duration":0.31,"status":"`...)
			buf = append(buf, status...)
			buf = append(buf, `","status_code":`...)
			buf = strconv.AppendInt(buf, int64(code), 10)
			buf = append(buf, `,"event":"push","action":null,"installation_id":42,"repository_id":7,"throttled_at":null}`...)
		}
		fn(append(buf, ']'))
	}
}

// scanPeak decodes and scans n synthetic deliveries and returns the scanner
// and the largest live heap seen (after a GC every 100 pages) above what was
// live before.
func scanPeak(t *testing.T, n, failed int) (sc *scanner, peak uint64) {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	sc = newScanner(time.Time{})
	d := &pageDecoder{strs: make(map[string]string)}
	pages := 0
	synthPages(n, failed, func(raw []byte) {
		d.buf = raw
		page, err := d.decode()
		if err != nil {
			t.Fatal(err)
		}
		for i := range page {
			sc.add(&page[i])
		}
		if pages++; pages%100 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
		}
	})
	return sc, peak
}

// raceEnabled is set under -race (race_test.go), which makes the large scan
// of TestScanMemoryFlat take ten times longer.
var raceEnabled = false

// TestScanMemoryFlat: the memory of a scan follows the failed GUIDs, not the
// deliveries read. Ten times as many deliveries, with the same failures, may
// not take more than 10% more heap.
func TestScanMemoryFlat(t *testing.T) {
	// Not parallel: it measures the heap.
	small, large, failed := 100_000, 1_000_000, 5_000
	if testing.Short() || raceEnabled {
		small, large, failed = 10_000, 100_000, 500
	}
	scS, peakS := scanPeak(t, small, failed)
	scL, peakL := scanPeak(t, large, failed)
	if got := len(scS.failures()); got != failed {
		t.Errorf("%d deliveries: %d failures, want %d", small, got, failed)
	}
	if got := len(scL.failures()); got != failed {
		t.Errorf("%d deliveries: %d failures, want %d", large, got, failed)
	}
	if scS.scanned != small || scL.scanned != large {
		t.Errorf("scanned %d and %d, want %d and %d", scS.scanned, scL.scanned, small, large)
	}
	t.Logf("peak live heap of the scan: %d deliveries %.2f MB, %d deliveries %.2f MB (%d failed GUIDs)",
		small, float64(peakS)/1e6, large, float64(peakL)/1e6, failed)
	if float64(peakL) > 1.1*float64(peakS)+64<<10 {
		t.Errorf("scanning %d deliveries peaked at %d bytes of heap, more than 10%% above the %d of %d deliveries: memory grows with the deliveries scanned",
			large, peakL, peakS, small)
	}
}
