import t from 'tap';
import { CampaignStore } from '../../../src/campaign/store.js';
import { campaign, FORM, formBody, testApp, tokenFrom, VALID_REPORT } from '../../support/app.js';
import { checkHeaders, checkMarkup } from '../../support/page-checks.js';
import { signIn } from '../../support/staff.js';

const hotlineFields = (number: string) => ({
  'hotlines.0.label.zh-CN': '举报电话',
  'hotlines.0.label.en': 'Reporting hotline',
  'hotlines.0.number': number,
  'hotlines.1.label.zh-CN': '',
  'hotlines.1.label.en': '',
  'hotlines.1.number': '',
});

t.test('an admin changes the hotline: applied at once, audited old → new, reset to the shipped value', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const page = await admin.get('/staff/campaign');
  t.equal(page.statusCode, 200);
  t.match(page.body, /name="hotlines.0.number" value="023-6716 6106"/, 'the form shows the values in force');
  checkHeaders(t, 'campaign settings', page);
  checkMarkup(t, 'campaign settings', page.body);

  // Full-width digits, an ideographic space and a full-width dash, as typed on a Chinese keyboard.
  const saved = await admin.post('/staff/campaign/hotlines', hotlineFields('０２３－６７１６　８８８８'));
  t.equal(saved.statusCode, 303);
  t.match((await ta.app.inject('/')).body, /<a href="tel:02367168888">023-6716 8888<\/a>/, 'the public pages show the new number at once');
  t.match((await ta.app.inject('/no-such-page')).body, /023-6716 8888/, 'and so do the error pages');
  const audit = await ta.database.db.selectFrom('audit_log').select(['action', 'actor_id', 'detail']).where('action', 'like', 'campaign.%').execute();
  t.equal(audit.length, 1);
  t.equal(audit[0]!.actor_id, admin.userId);
  t.same(audit[0]!.detail, { field: 'hotlines', old: campaign.hotlines, new: [{ label: campaign.hotlines[0]!.label, number: '023-6716 8888' }] });
  t.match((await admin.get('/staff/campaign')).body, /由admin1于.*修改/, 'the page says who changed it');

  // Another instance sees the change when it next reads the settings (every minute).
  const other = new CampaignStore(ta.database.db, campaign);
  t.equal(other.live.hotlines[0]!.number, '023-6716 6106');
  await other.refresh();
  t.equal(other.live.hotlines[0]!.number, '023-6716 8888');
  t.equal(campaign.hotlines[0]!.number, '023-6716 6106', 'the shipped values are never changed in place');

  t.equal((await admin.post('/staff/campaign/hotlines/reset')).statusCode, 303);
  t.match((await ta.app.inject('/')).body, /023-6716 6106/, 'back to the shipped number');
  const reset = await ta.database.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'campaign.reset').executeTakeFirstOrThrow();
  t.same(reset.detail, { field: 'hotlines', old: [{ label: campaign.hotlines[0]!.label, number: '023-6716 8888' }], new: campaign.hotlines });
});

t.test('invalid input: 400, the error next to its field, what was typed kept, nothing changed', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const bad = await admin.post('/staff/campaign/hotlines', hotlineFields('12-34x'));
  t.equal(bad.statusCode, 400);
  t.match(bad.body, /id="hotlines.0.number-error"/, 'the error is next to the number');
  t.match(bad.body, /name="hotlines.0.number" value="12-34x"/, 'the value typed is kept');
  t.match(bad.body, /<a href="#hotlines.0.number">/, 'the summary links to the field');

  const deadlines = await admin.post('/staff/campaign/deadlines', {
    'deadlines.acceptWorkingDays': '０', 'deadlines.concludeCalendarDays': '90', 'deadlines.transferWorkingDays': '5', 'deadlines.feedbackWorkingDays': '15',
  });
  t.equal(deadlines.statusCode, 400);
  t.match(deadlines.body, /id="deadlines.acceptWorkingDays-error"[^>]*>.*1到90之间/s);

  const phases = await admin.post('/staff/campaign/phases', {
    'phases.0.name.zh-CN': '启动', 'phases.0.name.en': 'Launch', 'phases.0.start': '2023-06-01', 'phases.0.end': '2023-05-01',
    'phases.0.description.zh-CN': '部署', 'phases.0.description.en': 'Plan',
  });
  t.equal(phases.statusCode, 400);
  t.match(phases.body, /id="phases.0.end-error"/);
  t.equal(await ta.database.db.selectFrom('campaign_settings').select('field').executeTakeFirst(), undefined, 'nothing stored');
});

t.test('villages and deadlines: new values used by the report form and the deadlines at once', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const villages: Record<string, string> = {};
  campaign.villages.forEach((v, i) => {
    villages[`villages.${i}.id`] = v.id;
    villages[`villages.${i}.name.zh-CN`] = v.name['zh-CN'];
    villages[`villages.${i}.name.en`] = v.name.en;
  });
  const n = campaign.villages.length;
  Object.assign(villages, { [`villages.${n}.id`]: 'Shuanglong', [`villages.${n}.name.zh-CN`]: '双龙村', [`villages.${n}.name.en`]: 'Shuanglong Village' });
  t.equal((await admin.post('/staff/campaign/villages', villages)).statusCode, 303);
  t.match((await ta.app.inject('/report?village=shuanglong')).body, /<option value="shuanglong" selected>双龙村<\/option>/, 'the id is normalized and offered at once');
  const form = await ta.app.inject('/report');
  const submitted = await ta.app.inject({ method: 'POST', url: '/report', headers: FORM, payload: formBody({ ...VALID_REPORT, village: 'shuanglong', token: tokenFrom(form.body) }) });
  t.equal(submitted.statusCode, 200, 'and accepted with a report');
  t.equal((await ta.database.db.selectFrom('reports').select('village').executeTakeFirstOrThrow()).village, 'shuanglong');

  // Removing a village that leads name is refused.
  const without = Object.fromEntries(Object.entries(villages).filter(([k]) => !k.startsWith(`villages.${n}.`)));
  const refused = await admin.post('/staff/campaign/villages', without);
  t.equal(refused.statusCode, 400);
  t.match(refused.body, /以下村已有线索，不能删除：shuanglong/);

  t.equal(
    (await admin.post('/staff/campaign/deadlines', {
      'deadlines.acceptWorkingDays': '７', 'deadlines.concludeCalendarDays': '90', 'deadlines.transferWorkingDays': '5', 'deadlines.feedbackWorkingDays': '15',
    })).statusCode,
    303,
  );
  t.match((await ta.app.inject('/')).body, /7个工作日/, 'the home page promises the new deadline');

  t.equal((await admin.post('/staff/campaign/reset')).statusCode, 400, 'a global reset would remove a village in use');
  await ta.database.db.deleteFrom('reports').execute();
  t.equal((await admin.post('/staff/campaign/reset')).statusCode, 303);
  t.equal(await ta.database.db.selectFrom('campaign_settings').select('field').executeTakeFirst(), undefined, 'every setting back to the shipped file');
  t.notMatch((await ta.app.inject('/report')).body, /双龙村/);
  const resets = await ta.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'campaign.reset').execute();
  t.same(resets.map((r) => (r.detail as { field: string }).field).sort(), ['deadlines', 'villages']);
});

t.test('the look-back sample rate and minimum', async (t) => {
  const ta = await testApp(t);
  const admin = await signIn(ta, 'admin');
  const zero = await admin.post('/staff/campaign/lookback', { 'lookback.ratePercent': '0', 'lookback.minimum': '1' });
  t.equal(zero.statusCode, 400);
  t.match(zero.body, /id="lookback.ratePercent-error"/);
  t.equal((await admin.post('/staff/campaign/lookback', { 'lookback.ratePercent': '０.５%', 'lookback.minimum': '２' })).statusCode, 303);
  t.same(ta.app.campaign.lookback, { ratePercent: 0.5, minimum: 2 }, 'in force at once');
});
