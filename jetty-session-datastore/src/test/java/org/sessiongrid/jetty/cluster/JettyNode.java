package org.sessiongrid.jetty.cluster;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.security.Constraint;
import org.eclipse.jetty.security.HashLoginService;
import org.eclipse.jetty.security.SecurityHandler;
import org.eclipse.jetty.security.UserStore;
import org.eclipse.jetty.security.authentication.FormAuthenticator;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.session.AbstractSessionManager;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.HouseKeeper;
import org.eclipse.jetty.session.ManagedSession;
import org.eclipse.jetty.session.NullSessionCache;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.security.Password;
import org.sessiongrid.grid.SessionOwners;
import org.sessiongrid.jetty.cache.SessionGridSessionCache;
import org.sessiongrid.jetty.request.SessionGridRequestHandler;
import org.sessiongrid.jetty.route.SessionGridSessionIdManager;
import org.sessiongrid.jetty.store.SessionGridDataStore;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;
import org.sessiongrid.testsupport.node.JettyNodes;

/**
 * One Jetty server of a test farm, run in its own JVM by {@link Farm}. Three contexts, one per
 * session cache a farm may use, all with the SessionGrid store:
 * {@code /app} (SessionGridSessionCache: cached and coherent), {@code /evict} (Jetty's
 * DefaultSessionCache with EVICT_ON_SESSION_EXIT, Jetty's non-sticky recipe) and {@code /null}
 * (NullSessionCache); {@code /secure}, like {@code /app} behind a FORM login ({@link #formLogin}).
 * Grid settings come as {@code sessiongrid.*} system properties; test-support's node-main protocol
 * serves it (READY line, SIGTERM stops the server).
 *
 * <p>System properties: {@code node.ee} (ee10|ee11), {@code node.name}, {@code node.http},
 * {@code node.scavenge} (seconds, 0 = off), {@code node.grace} (seconds), {@code node.webappClasses}
 * (a directory of classes only the webapps see).
 */
public final class JettyNode {

    /** Each context's session cache, for {@link DiagnosticsContext}. */
    static final Map<String, SessionCache> CACHES = new ConcurrentHashMap<>();

    private JettyNode() {
    }

    /**
     * {@code /diag/cached?path=/app&id=COOKIE}: whether this node's cache of that context holds the
     * session ("yes"/"no"), whether a request here is using that copy ({@code /diag/inuse?...}), and whether
     * this member is its primary ({@code /diag/primary?...}), which member this member takes for its
     * primary ({@code /diag/owner?...}) and which members it takes for its owners, primary first
     * ({@code /diag/owners?...}); {@code /diag/late} and {@code /diag/fenced}: this member's
     * {@code LateCommits} and {@code FencedCommits}.
     * Observes what a test cannot see through the webapp: the cache itself.
     */
    static final class DiagnosticsContext extends ContextHandler {
        DiagnosticsContext() {
            super("/diag");
            setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    Fields q = Request.extractQueryParameters(request);
                    if (Request.getPathInContext(request).equals("/stable")) {
                        // The grid's topology, and whether it is settled (no rebalance, every member placed).
                        SessionGridDataStore any = (SessionGridDataStore) CACHES.get("/app").getSessionDataStore();
                        Content.Sink.write(response, true, any.grid().topologyId() + " " + any.grid().isStable(),
                                callback);
                        return true;
                    }
                    if (Request.getPathInContext(request).equals("/fenced")) {
                        SessionGridDataStore any = (SessionGridDataStore) CACHES.get("/app").getSessionDataStore();
                        Content.Sink.write(response, true, String.valueOf(any.grid().metrics().getFencedCommits()),
                                callback);
                        return true;
                    }
                    if (Request.getPathInContext(request).equals("/late")) {
                        SessionGridDataStore any = (SessionGridDataStore) CACHES.get("/app").getSessionDataStore();
                        Content.Sink.write(response, true, String.valueOf(any.grid().metrics().getLateCommits()),
                                callback);
                        return true;
                    }
                    SessionCache cache = CACHES.get(q.getValue("path"));
                    String cookie = q.getValue("id");
                    String id = cookie.contains(".") ? cookie.substring(0, cookie.indexOf('.')) : cookie;
                    String answer;
                    String what = Request.getPathInContext(request);
                    if (what.equals("/cached")) {
                        answer = ((DefaultSessionCache) cache).doGet(id) != null ? "yes" : "no";
                    } else if (what.equals("/inuse")) {
                        ManagedSession s = cache instanceof DefaultSessionCache c ? c.doGet(id) : null;
                        answer = s != null && s.getRequests() > 0 ? "yes" : "no";
                    } else if (what.equals("/owners")) {
                        SessionGridDataStore store = (SessionGridDataStore) cache.getSessionDataStore();
                        SessionOwners owners = store.grid().store(store.namespace()).owners(id);
                        answer = owners.primary() + " " + String.join(" ", owners.backups());
                    } else if (what.equals("/owner")) {
                        SessionGridDataStore store = (SessionGridDataStore) cache.getSessionDataStore();
                        answer = String.valueOf(store.grid().store(store.namespace()).owners(id).primary());
                    } else {
                        SessionGridDataStore store = (SessionGridDataStore) cache.getSessionDataStore();
                        answer = store.grid().store(store.namespace()).isLocalPrimary(id) ? "yes" : "no";
                    }
                    Content.Sink.write(response, true, answer, callback);
                    return true;
                }
            });
        }
    }

    public static void main(String[] args) throws Exception {
        String ee = System.getProperty("node.ee", "ee11");
        String name = System.getProperty("node.name");
        int http = Integer.getInteger("node.http");
        int scavenge = Integer.getInteger("node.scavenge", 1);
        int grace = Integer.getInteger("node.grace", 1);
        String webappClasses = System.getProperty("node.webappClasses");

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(http);
        server.addConnector(connector);

        SessionGridSessionIdManager ids = new SessionGridSessionIdManager(server);
        ids.setWorkerName(name);
        HouseKeeper keeper = new HouseKeeper();
        keeper.setIntervalSec(scavenge);
        ids.setSessionHouseKeeper(keeper);
        server.addBean(ids, true);

        SessionGridDataStoreFactory store = new SessionGridDataStoreFactory();
        store.setGracePeriodSec(grace);
        server.addBean(store);

        ClassLoader webapp = webappClasses == null ? JettyNode.class.getClassLoader()
                : new URLClassLoader(new URL[] {Path.of(webappClasses).toUri().toURL()}, JettyNode.class.getClassLoader());
        // A second factory (same cluster, same grid member) whose contexts lock every request.
        SessionGridDataStoreFactory locking = new SessionGridDataStoreFactory();
        locking.setGracePeriodSec(grace);
        locking.setSetting("lockingMode", "all");
        locking.setSetting("lockTimeout", "20000");

        ContextHandlerCollection contexts = new ContextHandlerCollection();
        for (String path : new String[] {"/app", "/evict", "/null", "/secure"}) {
            contexts.addHandler(context(ee, path, webapp, store));
        }
        contexts.addHandler(context(ee, "/locked", webapp, locking));
        contexts.addHandler(new DiagnosticsContext());
        server.setHandler(new SessionGridRequestHandler(contexts));
        JettyNodes.serve(name, server);
    }

    private static Handler context(String ee, String path, ClassLoader webapp, SessionGridDataStoreFactory store)
            throws Exception {
        // Each EE in its own class: a server JVM has only its own EE's classes.
        return ee.equals("ee10") ? Ee10Context.create(path, webapp, store) : Ee11Context.create(path, webapp, store);
    }

    /** What {@code /secure} asks of every request: an authenticated user in role {@code user}. */
    static final Constraint USER_ROLE = Constraint.from("user");

    /**
     * FORM login on a security handler: login page {@code /login}, error page {@code /login-error}
     * (redirected to, not dispatched), one user {@code alice}/{@code secret} in role {@code user}.
     * Jetty's FormAuthenticator keeps the login in the session, so another node knows the user only
     * through the session store.
     */
    static void formLogin(SecurityHandler security) {
        UserStore users = new UserStore();
        users.addUser("alice", new Password("secret"), new String[] {"user"});
        HashLoginService login = new HashLoginService("sessiongrid");
        login.setUserStore(users);
        security.setLoginService(login);
        security.setAuthenticator(new FormAuthenticator("/login", "/login-error", false));
    }

    /** Per-context registration: an explicit cache needs its store set too (Jetty asks the factory only without one). */
    static SessionCache cache(String path, AbstractSessionManager manager, SessionGridDataStoreFactory store)
            throws Exception {
        SessionCache cache = switch (path) {
            case "/evict" -> {
                DefaultSessionCache c = new DefaultSessionCache(manager);
                c.setEvictionPolicy(SessionCache.EVICT_ON_SESSION_EXIT);
                yield c;
            }
            case "/null" -> new NullSessionCache(manager);
            default -> new SessionGridSessionCache(manager);
        };
        CACHES.put(path, cache);
        cache.setSessionDataStore(store.getSessionDataStore(manager));
        return cache;
    }
}
