package redeliver

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTestdataPage(t *testing.T) { readTestPage(t) }

func BenchmarkStdDecodePage(b *testing.B) {
	raw := readTestPage(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var page []Delivery
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&page); err != nil || len(page) != 100 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/delivery")
}
