import t from 'tap';
import { addWorkingDays, chinaDate, isWorkingDay, loadCalendar, uncoveredYears, workingDaysBetween } from '../../src/calendar/work-calendar.js';

const cal = loadCalendar('config/cn-public-holidays.json');

t.test('weekends, holidays and make-up working days', async (t) => {
  t.equal(isWorkingDay(cal, '2026-11-27'), true, 'a Friday');
  t.equal(isWorkingDay(cal, '2026-11-28'), false, 'a Saturday');
  t.equal(isWorkingDay(cal, '2026-02-17'), false, 'Spring Festival');
  t.equal(isWorkingDay(cal, '2026-02-14'), true, 'a Saturday made a working day (调休)');
  t.equal(isWorkingDay(cal, '2026-02-28'), true, 'another 调休 Saturday');
  t.equal(isWorkingDay(cal, '2026-10-07'), false, 'National Day week');
  t.equal(isWorkingDay(cal, '2026-10-10'), true, 'Saturday after National Day, worked');
  t.equal(isWorkingDay(cal, '2023-01-28'), true, '2023: Saturday after Spring Festival, worked');
});

t.test('15 working days across the 2026 Spring Festival', async (t) => {
  // Received Tue 10 Feb 2026. Working days: 11, 12, 13, 14 (Sat, 调休), then the holiday
  // 15–23 Feb, then 24, 25, 26, 27, 28 (Sat, 调休), Mar 2, 3, 4, 5, 6, 9 = 15th on 9 March.
  t.equal(addWorkingDays(cal, '2026-02-10', 15), '2026-03-09');
  t.equal(workingDaysBetween(cal, '2026-02-10', '2026-03-09'), 15);
  t.equal(workingDaysBetween(cal, '2026-02-10', '2026-03-06'), 14);
});

t.test('5 and 15 working days across National Day 2026', async (t) => {
  // Received Wed 30 Sep: 1–7 Oct off, 8 Oct Thu, 9 Fri, 10 Sat (调休), 12 Mon, 13 Tue = 5th.
  t.equal(addWorkingDays(cal, '2026-09-30', 5), '2026-10-13');
  // Received Fri 18 Sep: 20 Sep (Sun, 调休) counts; 21, 22, 23, 24, then 25–27 off (Mid-Autumn),
  // 28, 29, 30, then 1–7 Oct off, 8, 9, 10 (Sat, 调休), 12, 13, 14, 15 = 15th.
  t.equal(addWorkingDays(cal, '2026-09-18', 5), '2026-09-24');
  t.equal(addWorkingDays(cal, '2026-09-18', 15), '2026-10-15');
});

t.test('ordinary weeks and edge cases', async (t) => {
  t.equal(addWorkingDays(cal, '2026-11-27', 1), '2026-11-30', 'Friday + 1 = Monday');
  t.equal(addWorkingDays(cal, '2026-11-28', 0), '2026-11-28');
  t.equal(workingDaysBetween(cal, '2026-11-30', '2026-11-27'), 0);
  t.same(uncoveredYears(cal, '2026-12-20', '2027-01-20'), [2027], 'next year not published yet');
  t.same(uncoveredYears(cal, '2026-01-01', '2026-12-31'), []);
  t.equal(chinaDate(new Date('2026-11-27T20:00:00Z')), '2026-11-28', 'already the next day in China');
});
