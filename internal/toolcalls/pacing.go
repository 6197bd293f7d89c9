package toolcalls

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// Answer pacing. Once a tool has returned, the MCP SDK encodes its answer
// and writes it to the call's HTTP response; for a page of list_vms that is
// most of the CPU the call costs. With hundreds of calls answering at once,
// the Go scheduler interleaves those encodings: every answer holds its
// buffers while it waits for a CPU, and an unlucky one waits many times
// longer than the rest (measured: a p99 eight times the median). The Pacer
// lets a few answers be encoded and written at once, in the order their
// tools returned; the others wait, holding only their result, before their
// encoding starts.
//
// The SDK gives a middleware no hook after the encoding, so the two ends
// meet through the HTTP request: the HTTP layer marks each POST (Track) with
// a header that the SDK hands to the tool call (CallToolRequest.Extra.Header);
// the middleware takes a place once the tool has returned, and the HTTP layer
// gives it back at the response's next write (the answer, encoded) or when
// the request ends, whichever comes first. A call without a mark (stdio, a
// response stream resumed on another request) is not paced.

// PaceHeader carries a POST's mark from the HTTP layer to the tool call.
// Track sets it, replacing any value a client sent.
const PaceHeader = "X-Esxi-Mcp-Answer"

// Pacer bounds the answers being encoded and written at once.
type Pacer struct {
	places chan struct{}
	marks  sync.Map // mark → *paced
	seq    atomic.Uint64
	taken  atomic.Int64 // places taken so far (for tests)
}

// NewPacer paces answers n at a time (n < 1 means 1).
func NewPacer(n int) *Pacer {
	return &Pacer{places: make(chan struct{}, max(n, 1))}
}

// paced is one POST's state.
type paced struct {
	mu     sync.Mutex
	holds  bool // a place is taken for this request's answer
	closed bool // the request has ended: no place may be taken any more
}

// Track marks an HTTP request that may carry a tool call. written is to be
// called at every write of its response, done once when it has ended.
func (p *Pacer) Track(r *http.Request) (written, done func()) {
	mark := strconv.FormatUint(p.seq.Add(1), 10)
	st := &paced{}
	p.marks.Store(mark, st)
	r.Header.Set(PaceHeader, mark)
	written = func() { p.giveBack(st, false) }
	done = func() {
		p.giveBack(st, true)
		p.marks.Delete(mark)
	}
	return written, done
}

func (p *Pacer) giveBack(st *paced, closing bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if closing {
		st.closed = true
	}
	if st.holds {
		st.holds = false
		<-p.places
	}
}

// wait takes a place for the answer of the call whose HTTP request header is
// h, waiting in turn; it returns at once for an unmarked call, and when ctx
// ends (the answer is then written without a place).
func (p *Pacer) wait(ctx context.Context, h http.Header) {
	if p == nil || h == nil {
		return
	}
	v, ok := p.marks.Load(h.Get(PaceHeader))
	if !ok {
		return
	}
	st := v.(*paced)
	select {
	case p.places <- struct{}{}:
	case <-ctx.Done():
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed || st.holds {
		<-p.places // the request ended meanwhile, or holds one already
		return
	}
	st.holds = true
	p.taken.Add(1)
}

// held is the number of places taken (for tests).
func (p *Pacer) held() int { return len(p.places) }
