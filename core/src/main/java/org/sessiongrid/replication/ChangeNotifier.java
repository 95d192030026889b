package org.sessiongrid.replication;

import java.util.List;

import org.sessiongrid.session.SessionKey;

/**
 * Delivers change notices: (session, new version, ids of members holding a copy). Called by the primary's
 * thread that committed the change, under the session's key lock: an implementation hands the notice on and
 * returns.
 */
@FunctionalInterface
public interface ChangeNotifier {
    void changed(SessionKey key, long version, List<String> memberIds);
}
