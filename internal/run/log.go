package run

import (
	"fmt"
	"sync"
)

// lockedLog lets the goroutines of a run over many identities share one
// Logger: one call at a time, so no line is cut by another.
type lockedLog struct {
	mu sync.Mutex
	l  Logger
}

func (l *lockedLog) Infof(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l.Infof(format, args...)
}

func (l *lockedLog) Warningf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l.Warningf(format, args...)
}

func (l *lockedLog) Group(title string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l.Group(title)
}

func (l *lockedLog) EndGroup() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l.EndGroup()
}

func (l *lockedLog) AddMask(secret string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l.AddMask(secret)
}

// logKind is what a buffered line is.
type logKind int

const (
	logInfo logKind = iota
	logWarning
	logGroup
	logEndGroup
)

type logLine struct {
	kind logKind
	text string
}

// bufferedLog keeps what one identity's goroutine logs and writes it to the
// shared log in one piece (flush), so that the groups of targets handled at
// once do not interleave. A mask is not kept: it goes to the shared log at
// once, since a token must be masked before anything prints it, whichever
// goroutine prints. One goroutine uses a bufferedLog at a time.
type bufferedLog struct {
	to    *lockedLog
	lines []logLine
}

func (b *bufferedLog) Infof(format string, args ...any) {
	b.lines = append(b.lines, logLine{logInfo, fmt.Sprintf(format, args...)})
}

func (b *bufferedLog) Warningf(format string, args ...any) {
	b.lines = append(b.lines, logLine{logWarning, fmt.Sprintf(format, args...)})
}

func (b *bufferedLog) Group(title string) { b.lines = append(b.lines, logLine{logGroup, title}) }
func (b *bufferedLog) EndGroup()          { b.lines = append(b.lines, logLine{kind: logEndGroup}) }
func (b *bufferedLog) AddMask(secret string) {
	b.to.AddMask(secret)
}

// flush writes what was kept to the shared log, in one piece, and forgets
// it.
func (b *bufferedLog) flush() {
	if len(b.lines) == 0 {
		return
	}
	b.to.mu.Lock()
	defer b.to.mu.Unlock()
	for _, l := range b.lines {
		switch l.kind {
		case logInfo:
			b.to.l.Infof("%s", l.text)
		case logWarning:
			b.to.l.Warningf("%s", l.text)
		case logGroup:
			b.to.l.Group(l.text)
		case logEndGroup:
			b.to.l.EndGroup()
		}
	}
	b.lines = b.lines[:0]
}
