package toolcalls

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// tracked is a POST marked by p, as the HTTP layer marks it.
func tracked(t *testing.T, p *Pacer) (h http.Header, written, done func()) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://example.test/message", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set(PaceHeader, "a value from the client") // replaced by Track
	written, done = p.Track(r)
	if r.Header.Get(PaceHeader) == "a value from the client" {
		t.Fatalf("Track kept the client's %s header", PaceHeader)
	}
	return r.Header, written, done
}

// waitAsync runs p.wait in a goroutine; the channel closes when it returns.
func waitAsync(ctx context.Context, p *Pacer, h http.Header) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		p.wait(ctx, h)
	}()
	return ch
}

func TestPacerTakesTurns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1)
		h1, written1, done1 := tracked(t, p)
		h2, _, done2 := tracked(t, p)
		defer done2()

		p.wait(t.Context(), h1)
		if p.InUse() != 1 {
			t.Fatalf("after the first answer's wait, %d places are held, want 1", p.InUse())
		}
		second := waitAsync(t.Context(), p, h2)
		synctest.Wait() // the second wait is blocked, or has returned
		select {
		case <-second:
			t.Fatal("a second answer got a place while the only one was held")
		default:
		}
		written1() // the first answer is encoded and being written
		<-second
		if p.InUse() != 1 {
			t.Fatalf("after the second answer's wait, %d places are held, want 1", p.InUse())
		}
		done1() // nothing to give back any more
		if p.InUse() != 1 {
			t.Fatalf("the end of the first request gave back the second's place: %d held", p.InUse())
		}
		done2()
		if p.InUse() != 0 {
			t.Fatalf("after both requests ended, %d places are held", p.InUse())
		}
	})
}

// TestPacerWaitEndsWithTheRequest: a client that goes away while its answer
// waits its turn takes no place.
func TestPacerWaitEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1)
		h1, _, done1 := tracked(t, p)
		h2, _, done2 := tracked(t, p)
		p.wait(t.Context(), h1)
		second := waitAsync(t.Context(), p, h2)
		synctest.Wait()
		done2() // the second client disconnects
		<-second
		if p.InUse() != 1 {
			t.Fatalf("%d places are held, want the first answer's only", p.InUse())
		}
		done1()
		if p.InUse() != 0 {
			t.Fatalf("%d places are still held", p.InUse())
		}
	})
}

// TestPacerPlaceIsHeldAtMostMaxHold: an answer whose stream is busy (its
// write does not start) gives its place back after maxHold, so the next
// answer goes on.
func TestPacerPlaceIsHeldAtMostMaxHold(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(1)
		h1, _, done1 := tracked(t, p)
		defer done1()
		h2, _, done2 := tracked(t, p)
		defer done2()
		p.wait(t.Context(), h1) // and never written
		start := time.Now()
		p.wait(t.Context(), h2)
		if waited := time.Since(start); waited != maxHold {
			t.Fatalf("the second answer waited %s (fake clock), want maxHold %s", waited, maxHold)
		}
	})
}

func TestPacerNeverKeepsAPlace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, p *Pacer)
	}{
		{"the request ends without a write", func(t *testing.T, p *Pacer) {
			h, _, done := tracked(t, p)
			p.wait(t.Context(), h)
			done()
		}},
		{"the request ended before the tool returned", func(t *testing.T, p *Pacer) {
			h, _, done := tracked(t, p)
			done()
			p.wait(t.Context(), h)
		}},
		{"two writes", func(t *testing.T, p *Pacer) {
			h, written, done := tracked(t, p)
			p.wait(t.Context(), h)
			written()
			written()
			done()
		}},
		{"a write before the tool returned (a progress notification)", func(t *testing.T, p *Pacer) {
			h, written, done := tracked(t, p)
			written()
			p.wait(t.Context(), h)
			written()
			done()
		}},
		{"an unmarked call (stdio)", func(t *testing.T, p *Pacer) {
			p.wait(t.Context(), nil)
			p.wait(t.Context(), http.Header{})
		}},
		{"a mark the pacer never gave", func(t *testing.T, p *Pacer) {
			p.wait(t.Context(), http.Header{PaceHeader: []string{"12345"}})
		}},
		{"the caller gives up while waiting its turn", func(t *testing.T, p *Pacer) {
			h1, _, done1 := tracked(t, p)
			h2, _, done2 := tracked(t, p)
			p.wait(t.Context(), h1)
			ctx, cancel := context.WithCancel(t.Context())
			second := waitAsync(ctx, p, h2)
			cancel()
			<-second
			done2()
			done1()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPacer(1)
			tt.run(t, p)
			if p.InUse() != 0 {
				t.Fatalf("%d places are still held", p.InUse())
			}
			// And the place is free for the next answer.
			h, _, done := tracked(t, p)
			p.wait(t.Context(), h)
			done()
		})
	}
}

func TestNilPacerDoesNothing(t *testing.T) {
	t.Parallel()
	var p *Pacer
	p.wait(t.Context(), http.Header{PaceHeader: []string{"1"}})
}
