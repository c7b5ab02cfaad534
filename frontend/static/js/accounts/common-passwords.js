// A small list of the most used passwords of 8 characters or more (international and Dutch
// favourites), refused at sign-up and password change. Shorter ones are refused by length anyway.
// Kept small on purpose: a phone downloads it with the sign-up page.

const COMMON = new Set([
  '00000000', '11111111', '1111111111', '11223344', '123123123', '12341234', '12345678', '123456789',
  '1234567890', '12345678910', '123456abc', '1234abcd', '123654789', '123qweasd', '147258369', '159753456',
  '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', '1qazxsw2', '43214321', '741852963', '87654321', '88888888',
  '98765432', '987654321', 'a1234567', 'a12345678', 'aa123456', 'aaaaaaaa', 'abc12345', 'abcd1234',
  'abcdefgh', 'access14', 'admin123', 'administrator', 'ajax1900', 'allah123', 'amsterdam', 'angel123',
  'angelina', 'arsenal1', 'asdf1234', 'asdfasdf', 'asdfghjkl', 'autumn123', 'baby1234', 'babygirl',
  'babygirl1', 'baseball', 'basketball', 'batman123', 'bismillah', 'blessed1', 'butterfly', 'changeme',
  'charlie1', 'chelsea1', 'chocolate', 'christ123', 'computer', 'cookie123', 'curacao1', 'daniel123',
  'dragon123', 'emmen123', 'facebook', 'family123', 'feyenoord', 'flower123', 'football', 'football1',
  'forever1', 'fortnite', 'freedom1', 'friends1', 'geheim123', 'ginger123', 'godisgood', 'goodluck1',
  'google123', 'guest123', 'hallo123', 'hallohallo', 'hello123', 'hellohello', 'holland1', 'hunter123',
  'iloveu123', 'iloveyou', 'iloveyou1', 'instagram', 'internet', 'jennifer', 'jessica1', 'jesus123',
  'killer123', 'kinderen', 'kindjes1', 'letmein1', 'liefde123', 'liverpool', 'lovelove', 'lovely123',
  'lovemykids', 'maastricht', 'mama1234', 'mamamama', 'manchester', 'marokko1', 'master123', 'michael1',
  'michelle', 'mijnkind1', 'mijnwachtwoord', 'minecraft', 'moeder123', 'mohamed123', 'mohammed1', 'mommy123',
  'monkey123', 'mustang1', 'mykids123', 'nederland', 'nicole123', 'p@ssw0rd', 'p@ssword', 'papapapa',
  'passw0rd', 'password', 'password!', 'password1', 'password123', 'pepper123', 'pokemon1', 'princess',
  'prinses1', 'q1w2e3r4', 'q1w2e3r4t5', 'qazwsxedc', 'qweasdzxc', 'qwer1234', 'qwerty123', 'qwertyui',
  'qwertyuiop', 'root1234', 'rotterdam', 'samsung1', 'samsung123', 'schatje1', 'secret12', 'secret123',
  'shadow123', 'soccer123', 'spring123', 'starwars', 'summer123', 'sunshine', 'superman', 'superstar',
  'sweetheart', 'test1234', 'testtest', 'trustno1', 'trustno11', 'turkiye1', 'voetbal1', 'voetbal123',
  'wachtwoord', 'wachtwoord1', 'wachtwoord123', 'welcome1', 'welcome123', 'welkom01', 'welkom123', 'whatever',
  'whatever1', 'winter123', 'youtube1', 'zaq12wsx', 'zxcvbnm1', 'zxcvbnm123',
]);

// Compared case-insensitively and without spaces around it.
export function isCommonPassword(password) {
  return COMMON.has(password.trim().toLowerCase());
}
