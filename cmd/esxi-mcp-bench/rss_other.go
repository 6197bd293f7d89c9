//go:build !linux

package main

// peakRSS is unknown outside Linux.
func peakRSS() uint64 { return 0 }

// procStatusBytes is unknown outside Linux.
func procStatusBytes(int, string) uint64 { return 0 }
