package org.sessiongrid.tomcat.testapp;

import java.io.Serializable;

import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionBindingListener;

/** An attribute that records its valueUnbound in the node's events file. */
public class Bound implements HttpSessionBindingListener, Serializable {

    private static final long serialVersionUID = 1L;

    @Override
    public void valueUnbound(HttpSessionBindingEvent event) {
        SessionEvents.record("unbound " + SessionEvents.strip(event.getSession().getId()));
    }
}
