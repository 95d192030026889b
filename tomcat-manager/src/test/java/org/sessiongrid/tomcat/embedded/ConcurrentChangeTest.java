package org.sessiongrid.tomcat.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.catalina.Session;
import org.junit.jupiter.api.Test;
import org.sessiongrid.codec.AttributeCodec;
import org.sessiongrid.codec.DeserializationPolicy;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.tomcat.SessionGridManager;
import org.sessiongrid.tomcat.multinode.WebUser;
import org.sessiongrid.tomcat.testapp.BlockingValue;

/** Changes made by one request while another request of the same session refreshes this node's copy. */
class ConcurrentChangeTest {

    @Test
    void aChangeMadeWhileAnotherRequestRefreshesTheCopyIsStillCommitted() throws Exception {
        SessionGrid peer = SessionGrid.start(GridConfig.builder("concurrent").stack("test-loopback").nodeName("peer")
                .build());
        try (EmbeddedTomcat t = new EmbeddedTomcat("concurrent", "<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""
                + " clusterName=\"concurrent\" stack=\"test-loopback\" nodeName=\"tomcat\"/>")) {
            SessionGridManager m = (SessionGridManager) t.context.getManager();
            WebUser u = new WebUser("concurrent");
            assertTrue(u.get(t.url("/set?name=a&value=1")).body().startsWith("ok"));
            String id = u.sessionId;

            // Another node changes the session: this node's copy is behind, and the next request refreshes it,
            // reading an attribute whose deserialization waits for the test.
            SessionStore grid = peer.store("localhost/app");
            SessionRecord base = grid.find(id, null);
            byte[] slow = new AttributeCodec(DeserializationPolicy.defaults()).encode("slow", new BlockingValue());
            grid.commit(id, SessionDelta.builder().set("slow", slow).build(), base, null);
            CompletableFuture<HttpResponse<String>> refreshing = CompletableFuture.supplyAsync(() -> {
                try {
                    return u.get(t.url("/attrs"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(BlockingValue.READING.await(30, TimeUnit.SECONDS), "the request never refreshed the copy");

            // Meanwhile a second request of the same user (this thread) changes the session's timeout.
            Session copy = null;
            for (Session s : m.findSessions()) {
                if (id.startsWith(s.getIdInternal().split("\\.")[0])) {
                    copy = s;
                }
            }
            assertNotNull(copy, "no copy of " + id + " on the node");
            copy.setMaxInactiveInterval(4321);
            BlockingValue.RELEASE.countDown();
            assertEquals(200, refreshing.get(30, TimeUnit.SECONDS).statusCode());

            // The refreshing request's end commits what the copy collected, the other thread's change included.
            assertEquals(4321, grid.find(id, null).meta().maxInactiveInterval(),
                    "the timeout set during the refresh was not recorded as a change");
        } finally {
            peer.halt();
        }
    }
}
