package pipeline

import (
	"bufio"
	"bytes"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

const heapMetric = "/memory/classes/heap/objects:bytes"

// memWatch samples the Go heap periodically and reads the process's peak
// RSS (VmHWM) at start and stop. Its goroutine ends with stop.
type memWatch struct {
	hwm0 int64
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	maxHeap int64
}

func startMemWatch(every time.Duration) *memWatch {
	m := &memWatch{hwm0: vmHWM(), done: make(chan struct{})}
	m.observe()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				m.observe()
			}
		}
	}()
	return m
}

func (m *memWatch) observe() {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	v := int64(s[0].Value.Uint64())
	m.mu.Lock()
	m.maxHeap = max(m.maxHeap, v)
	m.mu.Unlock()
}

// peak returns the values so far.
func (m *memWatch) peak() (heap, rssDelta int64) {
	m.observe()
	m.mu.Lock()
	heap = m.maxHeap
	m.mu.Unlock()
	if h := vmHWM(); h > 0 && m.hwm0 > 0 {
		rssDelta = max(h-m.hwm0, 0)
	}
	return heap, rssDelta
}

// stop ends sampling and returns the final values.
func (m *memWatch) stop() (heap, rssDelta int64) {
	close(m.done)
	m.wg.Wait()
	return m.peak()
}

// vmHWM is the process's peak resident set in bytes (Linux), or 0.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
