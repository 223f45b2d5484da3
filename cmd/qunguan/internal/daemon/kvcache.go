package daemon

import (
	"context"
	"strconv"
	"sync"
	"time"

	"qunguan/db"
	"qunguan/engine"
)

var _ engine.KV = (*kv)(nil)

// kvCacheSize bounds the remembered keys per account; past it, expired entries go, and if
// that is not enough, everything (it is a cache: the store has it all).
const kvCacheSize = 50_000

// kv is bot.store, per account and script. Writes go to the store at once (they must
// survive a crash); reads are answered from what this process wrote or found missing,
// because scripts read on every message (a flood counter, a cooldown) and a read from the
// store costs a query. That is exact because this daemon is the only writer of its
// account's keys; only values read from the store are not remembered, as the store does not
// say when they expire.
type kv struct {
	store   *db.DB
	account string
	now     func() time.Time

	mu    sync.Mutex
	cache map[kvKey]kvEntry
}

type kvKey struct{ script, key string }

type kvEntry struct {
	value   string
	present bool
	expires time.Time // zero: never
}

func newKV(store *db.DB, account string) *kv {
	return &kv{store: store, account: account, now: time.Now, cache: make(map[kvKey]kvEntry)}
}

// expiry is when a value written now with ttl expires, as the store computes it (whole
// milliseconds, at least one).
func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(now.UnixMilli() + max(ttl.Milliseconds(), 1))
}

func (k *kv) remember(key kvKey, e kvEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= kvCacheSize {
		now := k.now()
		for key, old := range k.cache {
			if old.present && !old.expires.IsZero() && !now.Before(old.expires) {
				delete(k.cache, key)
			}
		}
		if len(k.cache) >= kvCacheSize {
			clear(k.cache)
		}
	}
	k.cache[key] = e
}

func (k *kv) forget(key kvKey) {
	k.mu.Lock()
	delete(k.cache, key)
	k.mu.Unlock()
}

func (k *kv) Get(ctx context.Context, script, key string) (string, bool, error) {
	ck := kvKey{script, key}
	k.mu.Lock()
	e, ok := k.cache[ck]
	k.mu.Unlock()
	if ok {
		if e.present && (e.expires.IsZero() || k.now().Before(e.expires)) {
			return e.value, true, nil
		}
		return "", false, nil // missing, or expired: it does not come back by itself
	}
	value, found, err := k.store.KVGet(ctx, k.account, script, key)
	if err != nil {
		return "", false, err
	}
	if !found {
		k.remember(ck, kvEntry{})
	}
	return value, found, nil
}

func (k *kv) Set(ctx context.Context, script, key, value string, ttl time.Duration) error {
	ck := kvKey{script, key}
	at := k.now()
	if err := k.store.KVSet(ctx, k.account, script, key, value, ttl); err != nil {
		k.forget(ck)
		return err
	}
	k.remember(ck, kvEntry{value: value, present: true, expires: expiry(at, ttl)})
	return nil
}

func (k *kv) Incr(ctx context.Context, script, key string, delta int64, ttl time.Duration) (int64, error) {
	ck := kvKey{script, key}
	k.mu.Lock()
	old, known := k.cache[ck]
	k.mu.Unlock()
	at := k.now()
	n, err := k.store.KVIncr(ctx, k.account, script, key, delta, ttl)
	if err != nil {
		k.forget(ck)
		return 0, err
	}
	switch {
	case ttl > 0:
		k.remember(ck, kvEntry{value: strconv.FormatInt(n, 10), present: true, expires: expiry(at, ttl)})
	case known && old.present && (old.expires.IsZero() || at.Before(old.expires)):
		k.remember(ck, kvEntry{value: strconv.FormatInt(n, 10), present: true, expires: old.expires})
	case known:
		// Missing or expired before: the store made a new key without expiry.
		k.remember(ck, kvEntry{value: strconv.FormatInt(n, 10), present: true})
	default:
		k.forget(ck) // the store kept an expiry this process never saw
	}
	return n, nil
}

func (k *kv) Delete(ctx context.Context, script, key string) error {
	ck := kvKey{script, key}
	if err := k.store.KVDel(ctx, k.account, script, key); err != nil {
		k.forget(ck)
		return err
	}
	k.remember(ck, kvEntry{})
	return nil
}
