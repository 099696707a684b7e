//go:build race

package redeliver

func init() { raceEnabled = true }
