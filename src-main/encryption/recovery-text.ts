import { archiveFileName, archivesFolderName } from '../destinations/destination-layout';

/**
 * RECOVERY.txt, written beside the key file on an encrypted destination: the exact commands that get
 * everything back with a passphrase and Debian's `age` and `tar`, without Dormouse.
 */

/** The recovery instructions, naming the destination's real key file and an archive as Dormouse names them. */
export function recoveryText(keyFileName: string, exampleDate: Date = new Date()): string {
  const fullName = archiveFileName(exampleDate.getTime(), '3f9a1c2e-0000-4000-8000-000000000000', 'none', 'full', true);
  const later = new Date(exampleDate.getTime() + 86_400_000);
  const incrementalName = archiveFileName(later.getTime(), '7c41d09b-0000-4000-8000-000000000000', 'none', 'incremental', true);
  const folder = `${archivesFolderName}/alice-laptop-5d2e8f10/Home`;
  return `This folder is an encrypted Dormouse backup destination.

Every archive here (${archivesFolderName}/<machine>/<schedule>/<time>-full-<id>.tar.age and
…-incr-<id>.tar.age) is a tar file encrypted with age (https://age-encryption.org) to the key
in ${keyFileName}; that key file is itself encrypted with your passphrase. A lost drive gives
away nothing without the passphrase, and with it you can restore everything without Dormouse,
using only the age and tar commands (Debian or Ubuntu: sudo apt install age tar).

1. Decrypt the key. age asks for the passphrase:

     age -d -o key.txt ${keyFileName}

   key.txt opens every archive: keep it private and delete it when you are done.

2. Decrypt an archive and unpack it, here into the folder "restored":

     mkdir -p restored
     age -d -i key.txt ARCHIVE.tar.age | tar -x -p -C restored

   Files come back under their full path inside "restored" (home/alice/… for /home/alice/…).
   An archive whose name ends .tar.gz.age is compressed too: add -z to tar:

     age -d -i key.txt ARCHIVE.tar.gz.age | tar -x -z -p -C restored

Worked example: the schedule "Home" of the laptop "alice-laptop" has a full backup and, the next
day, an incremental one (it holds only what changed). To get back the newest state, unpack the
full backup, then every incremental after it, oldest first:

     cd /media/alice/backup-drive
     age -d -o ~/key.txt ${keyFileName}
     mkdir -p ~/restored
     age -d -i ~/key.txt ${folder}/${fullName} | tar -x -p -C ~/restored
     age -d -i ~/key.txt ${folder}/${incrementalName} | tar -x -p -C ~/restored
     rm ~/key.txt

(Unpacking this way brings back files deleted between the two backups too; Dormouse's own restore
does not. To get a single file, name it after -C: tar -x -p -C ~/restored home/alice/notes.txt)

Each archive has a .sha256 beside it, the SHA-256 of the encrypted file: sha256sum -c checks it
without the key. "age: error: incorrect passphrase" means the passphrase is not this
destination's; a damaged archive makes age stop with an error at the damaged part.
`;
}

/** What a recovery kit's RECOVERY.txt says first: which destination it is for, where to keep it, and that it does not replace the passphrase. */
export function recoveryKitText(kit: { destination: string; path: string; recipient: string; keyFileName: string; savedAt: Date }): string {
  return `Recovery kit of the encrypted Dormouse destination "${kit.destination}"
(saved ${kit.savedAt.toISOString()} from ${kit.path};
its archives are encrypted to ${kit.recipient}).

Keep this folder somewhere other than the backup drive. ${kit.keyFileName} here is a copy of the
drive's ${keyFileNameOnDrive}: with your passphrase it opens every archive on the drive, even if
the key file on the drive is lost or damaged. It does not replace the passphrase: without the
passphrase nobody, Dormouse included, can open the key or the backups, kit or not.

In the commands below, the key file is this folder's ${kit.keyFileName}; give its full path, for
example: age -d -o key.txt "/path/to/this folder/${kit.keyFileName}"

------------------------------------------------------------------------------------------

${recoveryText(kit.keyFileName, kit.savedAt)}`;
}

/** The key file's name on an encrypted destination (destination-key.ts keyFileName; repeated here to keep this file free of imports from it). */
const keyFileNameOnDrive = '.dormouse-key.age';
