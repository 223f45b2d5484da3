package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watch reloads scripts after files in Dir change. Editors write a file in several steps
// (truncate, write, rename), so changes are debounced: the reload runs once things have been
// quiet for WatchDebounce. The reload itself runs on the loop, like everything else.
func (e *Engine) watch(ctx context.Context) (stop func(), err error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("engine: watch scripts: %w", err)
	}
	if err := w.Add(e.opts.Dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("engine: watch scripts dir %s: %w", e.opts.Dir, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var debounce *time.Timer
		defer func() {
			if debounce != nil {
				debounce.Stop()
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				name := filepath.Base(ev.Name)
				if !strings.HasSuffix(name, ".lua") || strings.HasSuffix(name, "_test.lua") || ev.Op == fsnotify.Chmod {
					continue
				}
				if debounce != nil {
					debounce.Stop()
				}
				// Real time, not e.clock: this is about the file system settling.
				debounce = time.AfterFunc(e.opts.WatchDebounce, func() {
					e.post(func() {
						e.log.Info("scripts changed on disk, reloading")
						_ = e.reload(false)
					})
				})
			case werr, ok := <-w.Errors:
				if !ok {
					return
				}
				e.log.WithError(werr).Warn("watching the scripts dir failed")
			}
		}
	}()
	return func() {
		w.Close()
		wg.Wait()
	}, nil
}
