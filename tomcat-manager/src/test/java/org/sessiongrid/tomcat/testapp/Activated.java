package org.sessiongrid.tomcat.testapp;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import jakarta.servlet.http.HttpSessionActivationListener;
import jakarta.servlet.http.HttpSessionEvent;

/**
 * An attribute that records its activation events in this JVM (the class comes from the test class path, so a
 * test in the same JVM reads what the webapp's copies recorded): "passivate" or "activate", with the session's id
 * without route and the instance's identity.
 */
public class Activated implements HttpSessionActivationListener, Serializable {

    private static final long serialVersionUID = 1L;

    /** The events in the order they fired. */
    public static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void sessionWillPassivate(HttpSessionEvent se) {
        EVENTS.add("passivate " + SessionEvents.strip(se.getSession().getId()) + " " + System.identityHashCode(this));
    }

    @Override
    public void sessionDidActivate(HttpSessionEvent se) {
        EVENTS.add("activate " + SessionEvents.strip(se.getSession().getId()) + " " + System.identityHashCode(this));
    }
}
