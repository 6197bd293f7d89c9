package toolcalls

// Held is the number of places taken now.
func (p *Pacer) Held() int { return p.held() }

// Taken is the number of places taken so far.
func (p *Pacer) Taken() int64 { return p.taken.Load() }
