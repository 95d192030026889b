package org.sessiongrid.tomcat.testapp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;

/**
 * Appends every sessionDestroyed to this node's events file, so that the test can count the events
 * of all nodes, including one it killed. Records whether the listener ran in the webapp's class loader.
 */
public class SessionEvents implements HttpSessionListener, HttpSessionIdListener {

    @Override
    public void sessionIdChanged(HttpSessionEvent se, String oldSessionId) {
        record("idChanged " + strip(oldSessionId) + " " + strip(se.getSession().getId()));
    }

    static String strip(String id) {
        int dot = id.indexOf('.');
        return dot < 0 ? id : id.substring(0, dot);
    }

    @Override
    public void sessionDestroyed(HttpSessionEvent se) {
        ClassLoader webapp = se.getSession().getServletContext().getClassLoader();
        boolean inWebappLoader = Thread.currentThread().getContextClassLoader() == webapp;
        record("destroyed " + strip(se.getSession().getId()) + " webappLoader=" + inWebappLoader);
    }

    static synchronized void record(String line) {
        String file = System.getProperty("sg.events");
        if (file == null) {
            return;
        }
        try {
            Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
