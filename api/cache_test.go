package api

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestDerivedServesPreviousWhileBuilding: a new store version is built by
// one request; a request that comes meanwhile gets the previous views at
// once instead of queueing; a request with nobody building builds.
func TestDerivedServesPreviousWhileBuilding(t *testing.T) {
	var d derived
	var builds atomic.Int32
	build := func(tag int) func() (*views, error) {
		return func() (*views, error) {
			builds.Add(1)
			return &views{shown: tag}, nil
		}
	}
	v1, err := d.get(1, build(1))
	if err != nil || v1.shown != 1 {
		t.Fatalf("first get = %v, %v", v1, err)
	}
	if v, _ := d.get(1, build(99)); v != v1 || builds.Load() != 1 {
		t.Fatalf("the same version was built again (%d builds)", builds.Load())
	}

	// Version 2: one request builds, slowly.
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan *views)
	go func() {
		v, err := d.get(2, func() (*views, error) {
			close(started)
			<-release
			return &views{shown: 2}, nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	<-started
	got := make(chan *views)
	go func() {
		v, err := d.get(2, build(98))
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	select {
	case v := <-got:
		if v != v1 {
			t.Errorf("while version 2 is built, got views %d, want the previous ones", v.shown)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request queued behind the build instead of getting the previous views")
	}
	close(release)
	v2 := <-done
	if v2.shown != 2 {
		t.Fatalf("the builder got views %d", v2.shown)
	}
	if v, _ := d.get(2, build(97)); v != v2 {
		t.Errorf("after the build, got views %d, want 2", v.shown)
	}
	// Nobody building: a request for a newer version builds it itself.
	if v, _ := d.get(3, build(3)); v.shown != 3 {
		t.Errorf("version 3 = views %d, want a fresh build", v.shown)
	}
}

// TestDerivedFirstBuildWaits: with nothing to fall back on, concurrent
// requests wait for the one build instead of failing or building twice.
func TestDerivedFirstBuildWaits(t *testing.T) {
	var d derived
	var builds atomic.Int32
	release := make(chan struct{})
	build := func() (*views, error) {
		builds.Add(1)
		<-release
		return &views{shown: 1}, nil
	}
	results := make(chan *views, 4)
	for range 4 {
		go func() {
			v, err := d.get(1, build)
			if err != nil {
				t.Error(err)
			}
			results <- v
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	for range 4 {
		if v := <-results; v == nil || v.shown != 1 {
			t.Fatalf("got %v", v)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("%d builds, want 1", n)
	}
}
