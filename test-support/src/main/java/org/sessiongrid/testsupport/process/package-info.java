/**
 * The one launcher of the tests' child processes: {@link org.sessiongrid.testsupport.process.JavaCommand}
 * (a JVM's command line), {@link org.sessiongrid.testsupport.process.ChildProcess} (a started process,
 * its log, waits with deadlines, stopped by its PID) and {@link org.sessiongrid.testsupport.process.Reaper}
 * (every process a test started is killed when it is done, or when the test JVM exits first).
 */
package org.sessiongrid.testsupport.process;
