package org.sessiongrid.jgroups;

import java.util.Locale;

import org.jgroups.logging.CustomLogFactory;
import org.jgroups.logging.Log;
import org.jgroups.logging.LogFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LocationAwareLogger;

/**
 * JGroups' log lines through SLF4J with their own source: a provider that shows where a line comes from
 * (JULI's {@code SimpleFormatter} in Tomcat, Logback's {@code %caller}) names the JGroups class that
 * logged it, where JGroups' own SLF4J bridge makes every line come from the bridge
 * ({@code jgroups.logging.Slf4jLogImpl.info}). Format strings and levels are JGroups' (its {@code %s}
 * strings are formatted here; fatal is logged as error).
 *
 * <p>Installed by {@link #install()} only where JGroups would log through SLF4J anyway and nobody set a
 * factory of their own: a JVM whose JGroups uses log4j2 or the JDK logger, or an application's custom
 * factory, is left alone.
 */
final class JGroupsLog implements Log {

    private static final String SELF = JGroupsLog.class.getName();

    private final Logger logger;
    private final LocationAwareLogger located;

    JGroupsLog(Logger logger) {
        this.logger = logger;
        this.located = logger instanceof LocationAwareLogger l ? l : null;
    }

    /** Makes JGroups create its logs here, if it would log through SLF4J and has no custom factory. */
    static synchronized void install() {
        if (LogFactory.getCustomLogFactory() == null && "slf4j".equals(LogFactory.loggerType())) {
            LogFactory.setCustomLogFactory(new CustomLogFactory() {
                @Override
                public Log getLog(Class<?> clazz) {
                    return new JGroupsLog(LoggerFactory.getLogger(clazz));
                }

                @Override
                public Log getLog(String category) {
                    return new JGroupsLog(LoggerFactory.getLogger(category));
                }
            });
        }
    }

    private void log(int level, String msg, Throwable t) {
        if (t != null && level >= LocationAwareLogger.WARN_INT && isNetworkFailure(t)) {
            // A peer that closed its connection, refused a handshake or went away: one line names it; the
            // stack, which says only where JGroups' transport noticed, is there at DEBUG for whoever wants it.
            emit(level, msg + ": " + describe(t), null);
            if (logger.isDebugEnabled()) {
                emit(LocationAwareLogger.DEBUG_INT, "(the stack of the line above) " + msg, t);
            }
            return;
        }
        emit(level, msg, t);
    }

    /**
     * True for the failures of sockets and TLS sessions (an {@link java.io.IOException} and what caused it): they
     * are what a cluster meets whenever a member stops, restarts, is cut off or is refused, so they are expected
     * conditions, not bugs. Anything else (a {@link RuntimeException} in a protocol) keeps its stack.
     */
    static boolean isNetworkFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (!(c instanceof java.io.IOException)) {
                return false;
            }
        }
        return true;
    }

    /** The exception and its causes in one line: {@code SSLHandshakeException: Received fatal alert ...}. */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int causes = 0;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c != t) {
                sb.append(" (caused by ");
                causes++;
            }
            sb.append(c.getClass().getSimpleName());
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.append(")".repeat(causes)).toString();
    }

    private void emit(int level, String msg, Throwable t) {
        if (located != null) {
            located.log(null, SELF, level, msg, null, t);
            return;
        }
        switch (level) {
            case LocationAwareLogger.ERROR_INT -> logger.error(msg, t);
            case LocationAwareLogger.WARN_INT -> logger.warn(msg, t);
            case LocationAwareLogger.INFO_INT -> logger.info(msg, t);
            case LocationAwareLogger.DEBUG_INT -> logger.debug(msg, t);
            default -> logger.trace(msg, t);
        }
    }

    private static String format(String format, Object... args) {
        return args == null || args.length == 0 ? format : String.format(Locale.ROOT, format, args);
    }

    @Override
    public boolean isFatalEnabled() {
        return logger.isErrorEnabled();
    }

    @Override
    public boolean isErrorEnabled() {
        return logger.isErrorEnabled();
    }

    @Override
    public boolean isWarnEnabled() {
        return logger.isWarnEnabled();
    }

    @Override
    public boolean isInfoEnabled() {
        return logger.isInfoEnabled();
    }

    @Override
    public boolean isDebugEnabled() {
        return logger.isDebugEnabled();
    }

    @Override
    public boolean isTraceEnabled() {
        return logger.isTraceEnabled();
    }

    @Override
    public void fatal(String msg) {
        error(msg);
    }

    @Override
    public void fatal(String msg, Object... args) {
        error(msg, args);
    }

    @Override
    public void fatal(String msg, Throwable throwable) {
        error(msg, throwable);
    }

    @Override
    public void error(String msg) {
        if (logger.isErrorEnabled()) {
            log(LocationAwareLogger.ERROR_INT, msg, null);
        }
    }

    @Override
    public void error(String format, Object... args) {
        if (logger.isErrorEnabled()) {
            log(LocationAwareLogger.ERROR_INT, format(format, args), null);
        }
    }

    @Override
    public void error(String msg, Throwable throwable) {
        if (logger.isErrorEnabled()) {
            log(LocationAwareLogger.ERROR_INT, msg, throwable);
        }
    }

    @Override
    public void warn(String msg) {
        if (logger.isWarnEnabled()) {
            log(LocationAwareLogger.WARN_INT, msg, null);
        }
    }

    @Override
    public void warn(String format, Object... args) {
        if (logger.isWarnEnabled()) {
            log(LocationAwareLogger.WARN_INT, format(format, args), null);
        }
    }

    @Override
    public void warn(String msg, Throwable throwable) {
        if (logger.isWarnEnabled()) {
            log(LocationAwareLogger.WARN_INT, msg, throwable);
        }
    }

    @Override
    public void info(String msg) {
        if (logger.isInfoEnabled()) {
            log(LocationAwareLogger.INFO_INT, msg, null);
        }
    }

    @Override
    public void info(String format, Object... args) {
        if (logger.isInfoEnabled()) {
            log(LocationAwareLogger.INFO_INT, format(format, args), null);
        }
    }

    @Override
    public void debug(String msg) {
        if (logger.isDebugEnabled()) {
            log(LocationAwareLogger.DEBUG_INT, msg, null);
        }
    }

    @Override
    public void debug(String format, Object... args) {
        if (logger.isDebugEnabled()) {
            log(LocationAwareLogger.DEBUG_INT, format(format, args), null);
        }
    }

    @Override
    public void debug(String msg, Throwable throwable) {
        if (logger.isDebugEnabled()) {
            log(LocationAwareLogger.DEBUG_INT, msg, throwable);
        }
    }

    @Override
    public void trace(Object msg) {
        if (logger.isTraceEnabled()) {
            log(LocationAwareLogger.TRACE_INT, String.valueOf(msg), null);
        }
    }

    @Override
    public void trace(String msg) {
        if (logger.isTraceEnabled()) {
            log(LocationAwareLogger.TRACE_INT, msg, null);
        }
    }

    @Override
    public void trace(String format, Object... args) {
        if (logger.isTraceEnabled()) {
            log(LocationAwareLogger.TRACE_INT, format(format, args), null);
        }
    }

    @Override
    public void trace(String msg, Throwable throwable) {
        if (logger.isTraceEnabled()) {
            log(LocationAwareLogger.TRACE_INT, msg, throwable);
        }
    }

    /** Levels are the SLF4J provider's to set (logging.properties, logback.xml), not a stack XML's. */
    @Override
    public void setLevel(String level) {
        // A protocol's "level" attribute has no SLF4J counterpart: the provider's configuration decides.
    }

    @Override
    public String getLevel() {
        return logger.isTraceEnabled() ? "TRACE" : logger.isDebugEnabled() ? "DEBUG" : logger.isInfoEnabled() ? "INFO"
                : logger.isWarnEnabled() ? "WARN" : logger.isErrorEnabled() ? "ERROR" : "OFF";
    }
}
