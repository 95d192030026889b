package org.sessiongrid.expiry;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.sessiongrid.session.SessionKey;

/**
 * Access times of sessions used without change, collected between flushes: one entry per
 * session however many requests used it, so a busy session costs one entry per
 * {@code accessTimeGranularity}, not one message per request.
 */
public final class AccessTimes {

    private final ConcurrentHashMap<SessionKey, Long> pending = new ConcurrentHashMap<>();

    public void touched(SessionKey key, long accessTime) {
        pending.merge(key, accessTime, Math::max);
    }

    /** Takes everything collected so far. */
    public Map<SessionKey, Long> drain() {
        Map<SessionKey, Long> out = new HashMap<>();
        for (SessionKey k : pending.keySet()) {
            Long t = pending.remove(k);
            if (t != null) {
                out.put(k, t);
            }
        }
        return out;
    }
}
